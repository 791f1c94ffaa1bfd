"""What an incoming event writes: the complaints notify knows were submitted, events parked until
then, each complaint's departments, and the deliveries the event causes. Functions take a
connection and never commit."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated
from uuid import UUID

import asyncpg
import orjson

from sigap_notify.deliveries.repository import WAKE_CHANNEL
from sigap_notify.events.planning import FanOut, PlannedNotification, StaffMailboxes
from sigap_notify.recipients import WEBHOOK_PREFIX
from sigap_shared.db import Rows, placeholders
from sigap_shared.events import KafkaRecord, headers_to_json
from sigap_shared.outbox import OutboxRow, add_to_outbox

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
    reporter_erased_at: datetime | None  # when the reporter's personal data was erased (migration 0014)
    department: str | None  # the lead department, as notify last learnt it
    supporters: tuple[str, ...]
    mail_on_file: StaffMailboxes  # of the staff asked about, those with an e-mail address
    asked: StaffMailboxes  # the staff asked about (with the lead department)

    @property
    def reporter_erased(self) -> bool:
        return self.reporter_erased_at is not None


async def complaint_facts(*, conn: asyncpg.Connection, complaint_id: UUID, staff: StaffMailboxes) -> ComplaintFacts:
    """What notify knows of the complaint, and which of `staff` and of its lead department have
    an e-mail address on file: one round trip."""
    row = await conn.fetchrow(
        f"""
        SELECT EXISTS (SELECT 1 FROM known_complaints WHERE complaint_id = $4) AS submitted,
               (SELECT erased_at FROM erased_reporters WHERE complaint_id = $4) AS reporter_erased_at,
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
        reporter_erased_at=row["reporter_erased_at"],
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


async def known_departments(*, conn: asyncpg.Connection) -> list[str]:
    """Every department seen so far (each has its own Kafka topic)."""
    return [row["department"] for row in await conn.fetch("SELECT department FROM department_topics")]
