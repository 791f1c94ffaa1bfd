"""`sigap-status-admin`: create the first city admin and manage staff accounts from a shell,
through the same commands (and the same audit trail) as the city admin's HTTP API
(services/status/STAFF_ACCOUNTS.md).

Reads the same SIGAP_* settings as the service, applies pending migrations first (so the
first admin can exist before the service ever ran), and reads passwords from a prompt or,
with --password-stdin, from standard input (never from the command line). With --setup-code
no password is chosen here at all: the account's owner sets it with the one-time code printed."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys

import asyncpg

from sigap_shared.auth import ROLES
from sigap_shared.db import apply_migrations, create_pool, package_migrations, shared_migrations
from sigap_shared.errors import Text
from sigap_status.auth import rules as accounts
from sigap_status.settings import StatusSettings
from sigap_status.staff_accounts import commands, queries
from sigap_status.staff_accounts.errors import StaffAccountError


def _actor() -> str:
    """Who ran the command, as the audit trail shows it."""
    try:
        return "cli:" + getpass.getuser()
    except (KeyError, OSError):
        return "cli:" + os.environ.get("USER", "unknown")


def _read_password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    if not sys.stdin.isatty():
        raise accounts.AccountError(
            "password",
            Text(
                "Tidak ada terminal untuk menanyakan kata sandi: pakai --password-stdin atau --setup-code",
                "No terminal to ask for the password: use --password-stdin or --setup-code",
            ),
        )
    first = getpass.getpass("Kata sandi / Password: ")
    if getpass.getpass("Ulangi / Repeat: ") != first:
        raise accounts.AccountError("password", Text("Kata sandi tidak sama", "Passwords do not match"))
    return first


async def _run(args: argparse.Namespace, settings: StatusSettings) -> str:
    pool = await create_pool(settings.pg_connect_kwargs(), min_size=1, max_size=2, wait_s=10)
    try:
        await apply_migrations(pool, [shared_migrations(), package_migrations("sigap_status")])
        async with pool.acquire() as conn:
            return await _command(args, conn)
    finally:
        await pool.close()


def _setup_lines(setup: commands.SetupCode) -> str:
    return (
        f"setup code for {setup.username}: {setup.code} (valid until {setup.expires_at:%Y-%m-%d %H:%M} UTC, once)\n"
        f"the owner sets their password at <web address>/atur-sandi#kode={setup.code}"
    )


async def _command(args: argparse.Namespace, conn: asyncpg.Connection) -> str:
    actor = _actor()
    if args.command == "create-user":
        department = args.department.upper() if args.department else None
        accounts.validate_account(username=args.username, role=args.role, department=department)
        password = None if args.setup_code else _read_password(args)
        setup = await commands.create_account(
            conn=conn, actor=actor, username=args.username, role=args.role, department=department, password=password
        )
        created = f"created {args.username} ({args.role}{', ' + department if department else ''})"
        return created if setup is None else created + "\n" + _setup_lines(setup)
    if args.command == "list-users":
        rows = await queries.list_accounts(conn=conn, department=args.department.upper() if args.department else None)
        return "\n".join(
            f"{row['username']}\t{row['role']}\t{row['department'] or '-'}\t{'active' if row['active'] else 'inactive'}"
            + ("" if row["has_password"] else "\tno password yet")
            for row in rows
        ) or "(no users)"
    if args.command in ("deactivate", "activate"):
        await commands.set_active(conn=conn, actor=actor, username=args.username, active=args.command == "activate")
        return f"{args.command}d {args.username}"
    if args.command == "reset-password":
        if args.setup_code:
            return _setup_lines(await commands.reset_with_setup_code(conn=conn, actor=actor, username=args.username))
        password = _read_password(args)
        await commands.set_password(conn=conn, actor=actor, username=args.username, password=password)
        return f"password reset for {args.username}; their sessions were revoked"
    if args.command == "audit":
        rows = await queries.list_audit(conn=conn, username=args.username, limit=args.limit)
        return "\n".join(
            f"{row['at']:%Y-%m-%d %H:%M:%S}\t{row['actor']}\t{row['action']}\t{row['username']}" for row in rows
        ) or "(nothing yet)"
    raise AssertionError(args.command)


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="sigap-status-admin", description="Manage Sigap staff accounts.")
    commands_ = root.add_subparsers(dest="command", required=True)
    create = commands_.add_parser("create-user", help="create a staff account")
    create.add_argument("username")
    create.add_argument("--role", required=True, choices=list(ROLES))
    create.add_argument("--department", help="department code (dept_admin and field_officer only)")
    _add_password_source(create, setup_code_help="choose no password: print a one-time setup code for the owner")
    listing = commands_.add_parser("list-users", help="list staff accounts")
    listing.add_argument("--department", help="only this department's accounts")
    for name, text in (("deactivate", "deactivate an account and revoke its sessions"), ("activate", "reactivate an account")):
        command = commands_.add_parser(name, help=text)
        command.add_argument("username")
    reset = commands_.add_parser("reset-password", help="set a new password and revoke the account's sessions")
    reset.add_argument("username")
    _add_password_source(reset, setup_code_help="clear the password and print a one-time setup code for the owner")
    audit = commands_.add_parser("audit", help="who changed which account, when (newest first)")
    audit.add_argument("username", nargs="?")
    audit.add_argument("--limit", type=int, default=50)
    return root


def _add_password_source(command: argparse.ArgumentParser, *, setup_code_help: str) -> None:
    """Either the password on standard input or a one-time setup code for the account's owner."""
    source = command.add_mutually_exclusive_group()
    source.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    source.add_argument("--setup-code", action="store_true", help=setup_code_help)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        print(asyncio.run(_run(args, StatusSettings())))
    except (accounts.AccountError, StaffAccountError) as error:
        print(f"error: {error.field}: {error.message.en} / {error.message.id}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
