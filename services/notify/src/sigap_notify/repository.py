"""Notify's SQL. Functions take a connection and never commit."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Annotated
from uuid import UUID

import asyncpg
import orjson

from sigap_notify.domain import WEBHOOK_PREFIX, FanOut, PlannedNotification, StaffMailboxes
from sigap_shared.db import Rows, placeholders
from sigap_shared.events import KafkaRecord, headers_to_json
from sigap_shared.outbox import OutboxRow, add_to_outbox

WAKE_CHANNEL = "sigap_notify_deliveries"
# What a staff mail without any address on file is reported with (the contact resolvers say
# the same when they find none at send time).
NO_STAFF_ADDRESS = "no email address known for this recipient"

# Of the departments $1 (and the complaint's lead, `d.department`) and the officers $2/$3
# (department, username), those with an e-mail address on file.
_DEPARTMENTS_WITH_MAIL = """array(SELECT c.department FROM department_contacts c
    WHERE (c.department = ANY($1::text[]) OR c.department = d.department) AND cardinality(c.emails) > 0)"""
_OFFICERS_WITH_MAIL = """array(SELECT o.department || ':' || o.username FROM officer_contacts o
    WHERE (o.department, o.username) IN (SELECT * FROM unnest($2::text[], $3::text[])) AND cardinality(o.emails) > 0)"""


@dataclass(frozen=True, slots=True)
class ComplaintFacts:
    """What notify knows of a complaint when one of its events arrives."""

    submitted: bool  # intake's submission arrived (migration 0011)
    department: str | None  # the lead department, as notify last learnt it
    supporters: tuple[str, ...]
    mail_on_file: StaffMailboxes  # of the staff asked about, those with an e-mail address
    asked: StaffMailboxes  # the staff asked about (with the lead department)


async def complaint_facts(*, conn: asyncpg.Connection, complaint_id: UUID, staff: StaffMailboxes) -> ComplaintFacts:
    """What notify knows of the complaint, and which of `staff` and of its lead department have
    an e-mail address on file: one round trip."""
    row = await conn.fetchrow(
        f"""
        SELECT EXISTS (SELECT 1 FROM known_complaints WHERE complaint_id = $4) AS submitted,
               d.department, d.supporters,
               {_DEPARTMENTS_WITH_MAIL} AS departments_with_mail, {_OFFICERS_WITH_MAIL} AS officers_with_mail
        FROM (SELECT 1) AS one LEFT JOIN complaint_departments d ON d.complaint_id = $4
        """,
        list(staff.departments),
        [department for department, _ in staff.officers],
        [username for _, username in staff.officers],
        complaint_id,
    )
    department = row["department"]
    return ComplaintFacts(
        submitted=row["submitted"],
        department=department,
        supporters=tuple(row["supporters"] or ()),
        mail_on_file=_mail_on_file(row),
        asked=StaffMailboxes(
            departments=staff.departments | ({department} if department is not None else set()),
            officers=staff.officers,
        ),
    )


async def staff_mail_on_file(*, conn: asyncpg.Connection, wanted: StaffMailboxes) -> StaffMailboxes:
    """Of the `wanted` departments and officers, those with an e-mail address on file (for
    staff that `complaint_facts` was not asked about)."""
    row = await conn.fetchrow(
        f"SELECT {_DEPARTMENTS_WITH_MAIL} AS departments_with_mail, {_OFFICERS_WITH_MAIL} AS officers_with_mail"
        " FROM (SELECT NULL::text AS department) AS d",
        list(wanted.departments),
        [department for department, _ in wanted.officers],
        [username for _, username in wanted.officers],
    )
    return _mail_on_file(row)


def _mail_on_file(row: asyncpg.Record) -> StaffMailboxes:
    return StaffMailboxes(
        departments=frozenset(row["departments_with_mail"]),
        officers=frozenset((department, username) for department, username in map(_split_officer, row["officers_with_mail"])),
    )


def _split_officer(officer: str) -> tuple[str, str]:
    department, username = officer.split(":", 1)
    return department, username


@dataclass(frozen=True, slots=True)
class _PlannedRow:
    recipient: str
    channel: str
    template: str
    params: Annotated[str, "jsonb"]  # JSON object
    unreachable: bool


_PLANNED = Rows(_PlannedRow)
_EVENT = placeholders(
    (
        "event_id", "complaint_id", "event_type", "audience", "lead", "leads", "supporters",
        "webhook_template", "webhook_params", "reporter", "subscription_template", "subscription_params",
        "tracking_code", "except_channels",
    ),
    after=_PLANNED,
)  # fmt: skip

# Everything one event causes but its department-topic copies (those go through the outbox
# writer), in one round trip: the departments' topics, the complaint's lead and supporters,
# the planned deliveries, the fan-outs over the audience's webhooks and the reporter's direct
# subscriptions, and the dispatchers' wake-up on commit.
_RECORD_EVENT = f"""
WITH department AS (
    INSERT INTO department_topics (department)
    SELECT unnest({_EVENT["audience"]}::text[])
    ON CONFLICT DO NOTHING
), lead AS (
    INSERT INTO complaint_departments (complaint_id, department, supporters)
    SELECT {_EVENT["complaint_id"]}, {_EVENT["lead"]}::text, coalesce({_EVENT["supporters"]}::text[], '{{}}')
    WHERE {_EVENT["lead"]}::text IS NOT NULL AND ({_EVENT["leads"]}::boolean OR {_EVENT["supporters"]}::text[] IS NOT NULL)
    ON CONFLICT (complaint_id) DO UPDATE
    SET department = CASE WHEN {_EVENT["leads"]}::boolean THEN EXCLUDED.department ELSE complaint_departments.department END,
        supporters = coalesce({_EVENT["supporters"]}::text[], complaint_departments.supporters),
        updated_at = now()
), planned AS (
    SELECT recipient, channel, template, params, unreachable FROM {_PLANNED.unnest}
    UNION ALL
    SELECT '{WEBHOOK_PREFIX}' || w.id::text, 'webhook', {_EVENT["webhook_template"]}::text, {_EVENT["webhook_params"]}::jsonb, false
    FROM webhook_subscriptions w
    WHERE {_EVENT["webhook_template"]}::text IS NOT NULL AND w.active AND w.department = ANY({_EVENT["audience"]}::text[])
    UNION ALL
    SELECT {_EVENT["reporter"]}::text, s.channel, {_EVENT["subscription_template"]}::text, {_EVENT["subscription_params"]}::jsonb, false
    FROM reporter_subscriptions s
    WHERE {_EVENT["subscription_template"]}::text IS NOT NULL AND s.tracking_code = {_EVENT["tracking_code"]}::text
      AND NOT (s.channel = ANY({_EVENT["except_channels"]}::text[]))
), inserted AS (
    INSERT INTO notifications (event_id, complaint_id, event_type, recipient, channel, template, params,
                               status, last_error)
    SELECT {_EVENT["event_id"]}, {_EVENT["complaint_id"]}, {_EVENT["event_type"]}, recipient, channel, template, params,
           CASE WHEN unreachable THEN 'undeliverable' ELSE 'pending' END,
           CASE WHEN unreachable THEN '{NO_STAFF_ADDRESS}' END
    FROM planned
    ON CONFLICT (event_id, recipient, channel) DO NOTHING
    RETURNING status
)
SELECT
    (SELECT count(*) FROM inserted) AS recorded,
    (SELECT count(*) FROM (SELECT pg_notify('{WAKE_CHANNEL}', '') FROM inserted
                           WHERE status = 'pending' LIMIT 1) AS w) AS woke
"""


async def record_event(
    *,
    conn: asyncpg.Connection,
    event_id: UUID,
    complaint_id: UUID,
    event_type: str,
    planned: Sequence[PlannedNotification],
    unreachable: Collection[str],
    fan_outs: Sequence[FanOut],
    department: str | None,
    leads: bool = False,
    supporters: Sequence[str] | None = None,
    department_copies: Sequence[OutboxRow] = (),
) -> int:
    """Record each (event, recipient, channel) once (planned staff mail to `unreachable`
    recipients as undeliverable), expanding the fan-outs over the current webhooks of the
    webhook fan-out's `departments` and the reporter's subscriptions, and queue the
    `department_copies` in the outbox. `department` is the complaint's lead department, stored
    when `leads` (the event made it the lead) or with `supporters` (the supporting departments
    after the event). Returns how many deliveries are new. Dispatchers and the outbox relay
    wake up when the transaction commits."""
    webhook = next((f for f in fan_outs if f.per == "webhook"), None)
    subscription = next((f for f in fan_outs if f.per == "subscription"), None)
    rows = [
        _PlannedRow(
            recipient=item.recipient,
            channel=item.channel,
            template=item.template,
            params=orjson.dumps(item.params).decode(),
            unreachable=item.channel == "email" and item.recipient in unreachable,
        )
        for item in planned
    ]
    values = {
        "event_id": event_id,
        "complaint_id": complaint_id,
        "event_type": event_type,
        "audience": list(webhook.departments) if webhook else [],
        "lead": department,
        "leads": leads,
        "supporters": list(supporters) if supporters is not None else None,
        "webhook_template": webhook.template if webhook else None,
        "webhook_params": orjson.dumps(webhook.params).decode() if webhook else None,
        "reporter": subscription.recipient if subscription else None,
        "subscription_template": subscription.template if subscription else None,
        "subscription_params": orjson.dumps(subscription.params).decode() if subscription else None,
        "tracking_code": subscription.tracking_code if subscription else None,
        "except_channels": list(subscription.except_channels) if subscription else [],
    }
    row = await conn.fetchrow(_RECORD_EVENT, *_PLANNED.params(rows), *(values[name] for name in _EVENT))
    await add_to_outbox(conn=conn, rows=department_copies)
    return row["recorded"]


async def park_event(
    *, conn: asyncpg.Connection, event_id: UUID, complaint_id: UUID, event_type: str, record: KafkaRecord
) -> None:
    """Keep an event about a complaint whose submission is not known yet, as it was read."""
    await conn.execute(
        "INSERT INTO parked_events (event_id, complaint_id, event_type, headers, payload)"
        " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (event_id) DO NOTHING",
        event_id,
        complaint_id,
        event_type,
        headers_to_json(record.headers).decode(),
        record.value,
    )


async def know_submitted(*, conn: asyncpg.Connection, complaint_ids: Sequence[UUID]) -> list[asyncpg.Record]:
    """Record that the complaints were submitted; returns the events parked for them (headers,
    payload), in the order they arrived, and forgets them."""
    return await conn.fetch(
        """
        WITH known AS (
            INSERT INTO known_complaints (complaint_id) SELECT unnest($1::uuid[]) ON CONFLICT DO NOTHING
        ), released AS (
            DELETE FROM parked_events WHERE complaint_id = ANY($1::uuid[]) RETURNING id, headers, payload
        )
        SELECT headers, payload FROM released ORDER BY id
        """,
        list(complaint_ids),
    )


async def list_for_complaint(*, conn: asyncpg.Connection, complaint_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT id, event_id, event_type, recipient, channel, template, status, attempts, created_at,"
        " next_attempt_at, sent_at, last_error, address_masked"
        " FROM notifications WHERE complaint_id = $1 ORDER BY id",
        complaint_id,
    )


# -- Delivery engine -----------------------------------------------------------------------


async def claim_due(
    *, conn: asyncpg.Connection, channel: str, limit: int, settle: bool = False
) -> list[asyncpg.Record]:
    """Move up to `limit` due deliveries of one channel to `sending` and count the attempt;
    with `settle`, straight to `sent` (for channels whose send cannot need a retry), so each
    delivery is written once more instead of twice. SKIP LOCKED lets several dispatchers (or
    replicas) share the work without waiting."""
    return await conn.fetch(
        """
        UPDATE notifications AS n
        SET status = CASE WHEN $3::boolean THEN 'sent' ELSE 'sending' END,
            sent_at = CASE WHEN $3::boolean THEN now() ELSE n.sent_at END,
            attempts = n.attempts + 1, claimed_at = now(), updated_at = now()
        FROM (
            SELECT id FROM notifications
            WHERE status = 'pending' AND channel = $1 AND next_attempt_at <= now()
            ORDER BY next_attempt_at, id
            LIMIT $2
            FOR UPDATE SKIP LOCKED
        ) AS due
        WHERE n.id = due.id
        RETURNING n.id, n.event_id, n.complaint_id, n.event_type, n.recipient, n.channel, n.template,
                  n.params, n.attempts, n.held_for_digest
        """,
        channel,
        limit,
        settle,
    )


async def settle_many(
    *,
    conn: asyncpg.Connection,
    notification_ids: Sequence[int],
    statuses: Sequence[str],
    addresses_masked: Sequence[str | None],
    errors: Sequence[str | None],
) -> None:
    """Record the outcome of a batch's sends in one statement: `sent` (with where it went) or
    `undeliverable` (with why)."""
    await conn.execute(
        """
        UPDATE notifications AS n
        SET status = s.status, updated_at = now(), last_error = left(s.error, 1000),
            sent_at = CASE WHEN s.status = 'sent' THEN now() ELSE n.sent_at END,
            address_masked = coalesce(s.address_masked, n.address_masked)
        FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[]) AS s(id, status, address_masked, error)
        WHERE n.id = s.id AND n.status = 'sending'
        """,
        list(notification_ids),
        list(statuses),
        list(addresses_masked),
        list(errors),
    )


async def lock_due(*, conn: asyncpg.Connection, channel: str, limit: int) -> list[asyncpg.Record]:
    """Lock up to `limit` due deliveries of one channel for the caller's transaction, without
    writing them: for channels whose receivers dedupe on our idempotency key, the batch is
    sent while the rows stay locked and `settle_locked` records the outcomes in the same
    transaction (one write per delivery instead of claim and mark). If the transaction dies
    with the process, the rows are simply due again. `attempts` is returned counting this one."""
    return await conn.fetch(
        """
        SELECT id, event_id, complaint_id, event_type, recipient, channel, template, params,
               attempts + 1 AS attempts, held_for_digest
        FROM notifications
        WHERE status = 'pending' AND channel = $1 AND next_attempt_at <= now()
        ORDER BY next_attempt_at, id
        LIMIT $2
        FOR UPDATE SKIP LOCKED
        """,
        channel,
        limit,
    )


async def settle_locked(
    *,
    conn: asyncpg.Connection,
    notification_ids: Sequence[int],
    statuses: Sequence[str],
    addresses_masked: Sequence[str | None],
    errors: Sequence[str | None],
    retry_in_s: Sequence[float | None],
) -> None:
    """The outcomes of a batch locked by `lock_due`, in one statement: `sent`, `undeliverable`,
    `failed`, or `pending` again after `retry_in_s`; each counts as an attempt."""
    await conn.execute(
        """
        UPDATE notifications AS n
        SET status = s.status, attempts = n.attempts + 1, claimed_at = now(), updated_at = now(),
            last_error = left(s.error, 1000),
            sent_at = CASE WHEN s.status = 'sent' THEN now() ELSE n.sent_at END,
            next_attempt_at = CASE WHEN s.status = 'pending' THEN now() + make_interval(secs => s.retry_in_s)
                                   ELSE n.next_attempt_at END,
            address_masked = coalesce(s.address_masked, n.address_masked)
        FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::float8[])
             AS s(id, status, address_masked, error, retry_in_s)
        WHERE n.id = s.id AND n.status = 'pending'
        """,
        list(notification_ids),
        list(statuses),
        list(addresses_masked),
        list(errors),
        list(retry_in_s),
    )


async def recent_emails(
    *, conn: asyncpg.Connection, recipients: Sequence[str], template: str, window_s: float, at_most: int
) -> dict[str, int]:
    """How many mails of `template` each recipient got within the window, counted only up to
    `at_most` (what the digest decision needs), so a busy recipient costs a few index rows
    rather than every mail of the window."""
    rows = await conn.fetch(
        """
        SELECT r.recipient, (
            SELECT count(*) FROM (
                SELECT 1 FROM notifications
                WHERE channel = 'email' AND status = 'sent' AND recipient = r.recipient AND template = $2
                  AND sent_at > now() - make_interval(secs => $3)
                LIMIT $4
            ) AS recent
        ) AS sent
        FROM unnest($1::text[]) AS r(recipient)
        """,
        list(recipients),
        template,
        window_s,
        at_most,
    )
    return {row["recipient"]: row["sent"] for row in rows if row["sent"]}


async def hold_for_digest(*, conn: asyncpg.Connection, notification_ids: Sequence[int], window_s: float) -> None:
    """Back to pending until the end of the current digest window (windows are aligned, so
    everything held in one window becomes due together); the claim was not an attempt."""
    await conn.execute(
        """
        UPDATE notifications
        SET status = 'pending', held_for_digest = true, attempts = attempts - 1, updated_at = now(),
            next_attempt_at = to_timestamp(ceil(extract(epoch FROM now()) / $2) * $2)
        WHERE id = ANY($1::bigint[]) AND status = 'sending'
        """,
        list(notification_ids),
        window_s,
    )


async def mark_retry(*, conn: asyncpg.Connection, notification_id: int, delay_s: float, error: str) -> None:
    await conn.execute(
        "UPDATE notifications SET status = 'pending', next_attempt_at = now() + make_interval(secs => $2),"
        " last_error = $3, updated_at = now() WHERE id = $1 AND status = 'sending'",
        notification_id,
        delay_s,
        error[:1000],
    )


async def mark_final(
    *, conn: asyncpg.Connection, notification_id: int, status: str, error: str, address_masked: str | None = None
) -> bool:
    """`failed` (retries exhausted) or `undeliverable` (nobody to send to, nothing to retry)."""
    result = await conn.execute(
        "UPDATE notifications SET status = $2, last_error = $3, updated_at = now(),"
        " address_masked = coalesce($4, address_masked) WHERE id = $1 AND status = 'sending'",
        notification_id,
        status,
        error[:1000],
        address_masked,
    )
    return result != "UPDATE 0"


async def recover_interrupted(
    *, conn: asyncpg.Connection, stale_after_s: float, resendable_channels: Sequence[str]
) -> tuple[int, int]:
    """Rows left `sending` by a process that died mid-send. Channels whose receivers dedupe on
    our idempotency key are retried; for the others we cannot know whether the message left,
    so at-most-once says: report them failed rather than risk sending twice."""
    retried = await conn.execute(
        "UPDATE notifications SET status = 'pending', next_attempt_at = now(), updated_at = now(),"
        " last_error = 'interrupted; resent with the same idempotency key'"
        " WHERE status = 'sending' AND claimed_at < now() - make_interval(secs => $1) AND channel = ANY($2::text[])",
        stale_after_s,
        list(resendable_channels),
    )
    failed = await conn.execute(
        "UPDATE notifications SET status = 'failed', updated_at = now(),"
        " last_error = 'interrupted mid-send; outcome unknown, not resent (at most once)'"
        " WHERE status = 'sending' AND claimed_at < now() - make_interval(secs => $1)"
        " AND NOT (channel = ANY($2::text[]))",
        stale_after_s,
        list(resendable_channels),
    )
    return int(retried.rsplit(" ", 1)[-1]), int(failed.rsplit(" ", 1)[-1])


# -- Templates -----------------------------------------------------------------------------


async def get_template(*, conn: asyncpg.Connection, key: str, language: str) -> asyncpg.Record | None:
    """The template in `language`, falling back to Indonesian."""
    return await conn.fetchrow(
        "SELECT key, language, subject, body, updated_at, updated_by FROM templates"
        " WHERE key = $1 AND language = ANY($2::text[]) ORDER BY (language = $3) DESC LIMIT 1",
        key,
        [language, "id"],
        language,
    )


async def list_templates(*, conn: asyncpg.Connection) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT key, language, subject, body, updated_at, updated_by FROM templates ORDER BY key, language"
    )


async def upsert_template(
    *, conn: asyncpg.Connection, key: str, language: str, subject: str, body: str, updated_by: str
) -> asyncpg.Record:
    return await conn.fetchrow(
        """
        INSERT INTO templates (key, language, subject, body, updated_by) VALUES ($1, $2, $3, $4, $5)
        ON CONFLICT (key, language) DO UPDATE
        SET subject = EXCLUDED.subject, body = EXCLUDED.body, updated_by = EXCLUDED.updated_by, updated_at = now()
        RETURNING key, language, subject, body, updated_at, updated_by
        """,
        key,
        language,
        subject,
        body,
        updated_by,
    )


# -- Contacts ------------------------------------------------------------------------------


async def department_emails(*, conn: asyncpg.Connection, department: str) -> list[str]:
    emails = await conn.fetchval("SELECT emails FROM department_contacts WHERE department = $1", department)
    return list(emails or [])


async def set_department_emails(*, conn: asyncpg.Connection, department: str, emails: Sequence[str]) -> None:
    await conn.execute(
        "INSERT INTO department_contacts (department, emails) VALUES ($1, $2)"
        " ON CONFLICT (department) DO UPDATE SET emails = EXCLUDED.emails, updated_at = now()",
        department,
        list(emails),
    )


async def officer_emails(*, conn: asyncpg.Connection, department: str, username: str) -> list[str]:
    emails = await conn.fetchval(
        "SELECT emails FROM officer_contacts WHERE department = $1 AND username = $2", department, username
    )
    return list(emails or [])


async def list_officer_contacts(*, conn: asyncpg.Connection, department: str) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT username, emails, updated_at, updated_by FROM officer_contacts WHERE department = $1 ORDER BY username",
        department,
    )


async def set_officer_emails(
    *, conn: asyncpg.Connection, department: str, username: str, emails: Sequence[str], updated_by: str
) -> asyncpg.Record:
    return await conn.fetchrow(
        """
        INSERT INTO officer_contacts (department, username, emails, updated_by) VALUES ($1, $2, $3, $4)
        ON CONFLICT (department, username) DO UPDATE
        SET emails = EXCLUDED.emails, updated_by = EXCLUDED.updated_by, updated_at = now()
        RETURNING username, emails, updated_at, updated_by
        """,
        department,
        username,
        list(emails),
        updated_by,
    )


async def delete_officer_contacts(*, conn: asyncpg.Connection, department: str, username: str) -> bool:
    result = await conn.execute(
        "DELETE FROM officer_contacts WHERE department = $1 AND username = $2", department, username
    )
    return result != "DELETE 0"


async def find_subscriptions(
    *, conn: asyncpg.Connection, keys: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], asyncpg.Record]:
    """Direct subscriptions by (tracking code, channel), many in one round trip (one unique
    index lookup per key, however small the table)."""
    rows = await conn.fetch(
        """
        SELECT s.tracking_code, s.channel, s.id, s.address_sealed, s.legacy_address, s.language
        FROM unnest($1::text[], $2::text[]) AS k(tracking_code, channel)
        CROSS JOIN LATERAL (
            -- LIMIT (the key is unique anyway) keeps this a per-key probe of the unique index:
            -- flattened into a join, the planner seq-scans a small table once per batch.
            SELECT * FROM reporter_subscriptions r
            WHERE r.tracking_code = k.tracking_code AND r.channel = k.channel
            LIMIT 1
        ) AS s
        """,
        [tracking_code for tracking_code, _ in keys],
        [channel for _, channel in keys],
    )
    return {(row["tracking_code"], row["channel"]): row for row in rows}


async def upsert_subscription(
    *,
    conn: asyncpg.Connection,
    subscription_id: UUID,
    tracking_code: str,
    complaint_id: UUID,
    channel: str,
    address_sealed: bytes,
    language: str,
) -> UUID:
    return await conn.fetchval(
        """
        INSERT INTO reporter_subscriptions (id, tracking_code, complaint_id, channel, address_sealed, language)
        VALUES ($1, $2, $3, $4, $5, $6)
        ON CONFLICT (tracking_code, channel) DO UPDATE
        SET address_sealed = EXCLUDED.address_sealed, legacy_address = NULL, language = EXCLUDED.language,
            created_at = now()
        RETURNING id
        """,
        subscription_id,
        tracking_code,
        complaint_id,
        channel,
        address_sealed,
        language,
    )


async def lock_legacy_subscription_addresses(*, conn: asyncpg.Connection) -> list[asyncpg.Record]:
    """Subscriptions whose address is still plaintext (written before addresses were sealed)."""
    return await conn.fetch(
        "SELECT id, tracking_code, channel, legacy_address FROM reporter_subscriptions"
        " WHERE legacy_address IS NOT NULL FOR UPDATE"
    )


async def seal_subscription_address(
    *, conn: asyncpg.Connection, subscription_id: UUID, address_sealed: bytes
) -> None:
    await conn.execute(
        "UPDATE reporter_subscriptions SET address_sealed = $2, legacy_address = NULL WHERE id = $1",
        subscription_id,
        address_sealed,
    )


# -- Webhooks ------------------------------------------------------------------------------


async def get_webhook(*, conn: asyncpg.Connection, subscription_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT id, department, url, secret_sealed, legacy_secret, active, created_at, created_by"
        " FROM webhook_subscriptions WHERE id = $1",
        subscription_id,
    )


async def list_webhooks(*, conn: asyncpg.Connection, department: str | None) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT id, department, url, active, created_at, created_by FROM webhook_subscriptions"
        " WHERE $1::text IS NULL OR department = $1 ORDER BY created_at",
        department,
    )


async def create_webhook(
    *,
    conn: asyncpg.Connection,
    subscription_id: UUID,
    department: str,
    url: str,
    secret_sealed: bytes,
    created_by: str,
) -> asyncpg.Record:
    return await conn.fetchrow(
        "INSERT INTO webhook_subscriptions (id, department, url, secret_sealed, created_by)"
        " VALUES ($1, $2, $3, $4, $5)"
        " RETURNING id, department, url, active, created_at, created_by",
        subscription_id,
        department,
        url,
        secret_sealed,
        created_by,
    )


async def lock_legacy_webhook_secrets(*, conn: asyncpg.Connection) -> list[asyncpg.Record]:
    """Webhooks whose secret is still plaintext (written before secrets were sealed)."""
    return await conn.fetch(
        "SELECT id, legacy_secret FROM webhook_subscriptions WHERE legacy_secret IS NOT NULL FOR UPDATE"
    )


async def seal_webhook_secret(*, conn: asyncpg.Connection, subscription_id: UUID, secret_sealed: bytes) -> None:
    await conn.execute(
        "UPDATE webhook_subscriptions SET secret_sealed = $2, legacy_secret = NULL WHERE id = $1",
        subscription_id,
        secret_sealed,
    )


async def deactivate_webhook(*, conn: asyncpg.Connection, subscription_id: UUID) -> bool:
    result = await conn.execute("UPDATE webhook_subscriptions SET active = false WHERE id = $1", subscription_id)
    return result != "UPDATE 0"


async def webhook_department(*, conn: asyncpg.Connection, subscription_id: UUID) -> str | None:
    return await conn.fetchval("SELECT department FROM webhook_subscriptions WHERE id = $1", subscription_id)


async def park_webhook_delivery(
    *, conn: asyncpg.Connection, notification_id: int, subscription_id: UUID, department: str, error: str
) -> None:
    await conn.execute(
        """
        INSERT INTO webhook_dead_letters (notification_id, subscription_id, department, last_error)
        VALUES ($1, $2, $3, $4)
        ON CONFLICT (notification_id) DO UPDATE
        SET last_error = EXCLUDED.last_error, parked_at = now(), replayed_at = NULL, replayed_by = NULL
        """,
        notification_id,
        subscription_id,
        department,
        error[:1000],
    )


async def list_dead_letters(*, conn: asyncpg.Connection, department: str | None) -> list[asyncpg.Record]:
    return await conn.fetch(
        """
        SELECT d.notification_id, d.subscription_id, d.department, d.last_error, d.parked_at,
               n.event_id, n.event_type, n.complaint_id, n.attempts
        FROM webhook_dead_letters d JOIN notifications n ON n.id = d.notification_id
        WHERE d.replayed_at IS NULL AND ($1::text IS NULL OR d.department = $1)
        ORDER BY d.parked_at
        """,
        department,
    )


async def replay_dead_letters(
    *, conn: asyncpg.Connection, notification_ids: Sequence[int] | None, department: str | None, replayed_by: str
) -> list[int]:
    """Put parked webhook deliveries back in the queue with a fresh set of attempts."""
    rows = await conn.fetch(
        f"""
        WITH replayed AS (
            UPDATE webhook_dead_letters SET replayed_at = now(), replayed_by = $3
            WHERE replayed_at IS NULL
              AND ($1::bigint[] IS NULL OR notification_id = ANY($1::bigint[]))
              AND ($2::text IS NULL OR department = $2)
            RETURNING notification_id
        ), requeued AS (
            UPDATE notifications n SET status = 'pending', attempts = 0, next_attempt_at = now(),
                   updated_at = now()
            FROM replayed r WHERE n.id = r.notification_id AND n.status = 'failed'
            RETURNING n.id
        )
        SELECT id, pg_notify('{WAKE_CHANNEL}', '') FROM requeued
        """,
        list(notification_ids) if notification_ids is not None else None,
        department,
        replayed_by,
    )
    return [row["id"] for row in rows]


async def known_departments(*, conn: asyncpg.Connection) -> list[str]:
    """Every department seen so far (each has its own Kafka topic)."""
    return [row["department"] for row in await conn.fetch("SELECT department FROM department_topics")]


async def complaint_audience(*, conn: asyncpg.Connection, complaint_id: UUID) -> list[str]:
    """The departments handling the complaint as notify last learnt them: the lead, then its
    supporters (none when notify has not heard of the complaint's department)."""
    row = await conn.fetchrow(
        "SELECT department, supporters FROM complaint_departments WHERE complaint_id = $1", complaint_id
    )
    return [row["department"], *row["supporters"]] if row else []
