"""`sigap-status-admin`: create the first city admin and manage staff accounts from a shell.

Reads the same SIGAP_* settings as the service, applies pending migrations first (so the
first admin can exist before the service ever ran), and reads passwords from a prompt or,
with --password-stdin, from standard input (never from the command line)."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys

import asyncpg

from sigap_shared.db import apply_migrations, create_pool, package_migrations, shared_migrations
from sigap_status import accounts, repository
from sigap_status.settings import StatusSettings


def _read_password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Kata sandi / Password: ")
    if getpass.getpass("Ulangi / Repeat: ") != first:
        raise accounts.AccountError("password", "Kata sandi tidak sama", "Passwords do not match")
    return first


async def _run(args: argparse.Namespace, settings: StatusSettings) -> str:
    pool = await create_pool(settings.pg_connect_kwargs(), min_size=1, max_size=2, wait_s=10)
    try:
        await apply_migrations(pool, [shared_migrations(), package_migrations("sigap_status")])
        async with pool.acquire() as conn:
            return await _command(args, conn)
    finally:
        await pool.close()


async def _command(args: argparse.Namespace, conn: asyncpg.Connection) -> str:
    if args.command == "create-user":
        department = args.department.upper() if args.department else None
        accounts.validate_account(username=args.username, role=args.role, department=department)
        password_hash = accounts.hash_password(_read_password(args))
        if not await repository.create_staff_user(
            conn=conn, username=args.username, password_hash=password_hash, role=args.role, department=department
        ):
            raise accounts.AccountError("username", "Nama pengguna sudah dipakai", f"username {args.username} is taken")
        return f"created {args.username} ({args.role}{', ' + department if department else ''})"
    if args.command == "list-users":
        rows = await repository.list_staff_users(conn=conn)
        return "\n".join(
            f"{row['username']}\t{row['role']}\t{row['department'] or '-'}\t{'active' if row['active'] else 'inactive'}"
            for row in rows
        ) or "(no users)"
    if args.command in ("deactivate", "activate"):
        async with conn.transaction():
            found = await repository.set_staff_active(conn=conn, username=args.username, active=args.command == "activate")
            if found and args.command == "deactivate":
                await repository.revoke_user_refresh_tokens(conn=conn, username=args.username)
        if not found:
            raise accounts.AccountError("username", "Pengguna tidak ditemukan", f"no user {args.username}")
        return f"{args.command}d {args.username}"
    if args.command == "reset-password":
        password_hash = accounts.hash_password(_read_password(args))
        async with conn.transaction():
            found = await repository.set_password_hash(conn=conn, username=args.username, password_hash=password_hash)
            if found:
                await repository.revoke_user_refresh_tokens(conn=conn, username=args.username)
                # A new password lifts a lock that guessers put on the account.
                await repository.clear_login_failures(conn=conn, subjects=[("username", args.username)])
        if not found:
            raise accounts.AccountError("username", "Pengguna tidak ditemukan", f"no user {args.username}")
        return f"password reset for {args.username}; their sessions were revoked"
    raise AssertionError(args.command)


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="sigap-status-admin", description="Manage Sigap staff accounts.")
    commands = root.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create-user", help="create a staff account")
    create.add_argument("username")
    create.add_argument("--role", required=True, choices=["city_admin", "dept_admin", "field_officer", "auditor"])
    create.add_argument("--department", help="department code (dept_admin and field_officer only)")
    create.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    commands.add_parser("list-users", help="list staff accounts")
    for name, text in (("deactivate", "deactivate an account and revoke its sessions"), ("activate", "reactivate an account")):
        command = commands.add_parser(name, help=text)
        command.add_argument("username")
    reset = commands.add_parser("reset-password", help="set a new password and revoke the account's sessions")
    reset.add_argument("username")
    reset.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        print(asyncio.run(_run(args, StatusSettings())))
    except accounts.AccountError as error:
        print(f"error: {error.field}: {error.message_en} / {error.message_id}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
