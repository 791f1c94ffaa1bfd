"""Queue cursors and SQL shape, and account rules (argon2 hashes, refresh token digests)."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

import pytest

from sigap_status.queue.queries import BadCursor, QueueFilter, build_query, decode_cursor, encode_cursor
from sigap_status.auth import rules as auth_rules


def test_cursor_round_trip_and_tampering():
    key, complaint_id = datetime(2026, 11, 27, 9, 30, tzinfo=UTC), uuid.uuid4()
    cursor = encode_cursor("oldest", key, complaint_id)
    assert decode_cursor(cursor, sort="oldest") == (key, complaint_id)
    with pytest.raises(BadCursor):
        decode_cursor(cursor, sort="newest")
    for bad in ("", "abc", cursor[:-3], "eyJzIjoib2xkZXN0In0"):
        with pytest.raises(BadCursor):
            decode_cursor(bad, sort="oldest")


def test_queue_sql_is_keyset_never_offset():
    now = datetime(2026, 11, 27, tzinfo=UTC)
    sql, params = build_query(
        QueueFilter(department="DISHUB", statuses=("diterima",), text="lampu mati", after=(now, uuid.uuid4())), now=now
    )
    # Pages are keyset reads; the only OFFSET is the planner fence "OFFSET 0".
    assert re.findall(r"OFFSET\s+(\S+)", sql.upper()) == ["0)"]
    assert "(submitted_at, id) > (" in sql
    assert "UNION ALL" in sql
    assert "DISHUB" in params and "diterima" in params and "lampu mati" in params
    city_sql, _ = build_query(QueueFilter(sort="newest"), now=now)
    assert "UNION" not in city_sql and "ORDER BY submitted_at DESC, id DESC" in city_sql


def test_passwords_are_argon2id_and_verified():
    password_hash = auth_rules.hash_password("rahasia-sekali-123")
    assert password_hash.startswith("$argon2id$")
    assert auth_rules.verify_password(password_hash, "rahasia-sekali-123")
    assert not auth_rules.verify_password(password_hash, "rahasia-sekali-124")
    assert not auth_rules.verify_password(None, "rahasia-sekali-123")
    assert not auth_rules.verify_password("not-a-hash", "x")
    with pytest.raises(auth_rules.AccountError):
        auth_rules.hash_password("pendek")


@pytest.mark.parametrize(
    ("username", "role", "department", "field"),
    [
        ("Budi", "dept_admin", "DISHUB", "username"),
        ("bu", "dept_admin", "DISHUB", "username"),
        ("budi", "superuser", None, "role"),
        ("budi", "dept_admin", None, "department"),
        ("budi", "field_officer", "dishub", "department"),
        ("budi", "city_admin", "DISHUB", "department"),
    ],
)
def test_invalid_accounts(username, role, department, field):
    with pytest.raises(auth_rules.AccountError) as caught:
        auth_rules.validate_account(username=username, role=role, department=department)
    assert caught.value.field == field


def test_refresh_tokens_are_random_and_stored_as_digests():
    first, second = auth_rules.new_refresh_token(), auth_rules.new_refresh_token()
    assert first != second and len(first) >= 40
    assert auth_rules.refresh_token_digest(first) != auth_rules.refresh_token_digest(second)
    assert len(auth_rules.refresh_token_digest(first)) == 32
