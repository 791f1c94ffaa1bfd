"""One complaint's whole story through the four real service processes (the entrypoints
`make run` uses), a real SMTP server in the test process and real Kafka: submitted, routed,
verified, assigned and reassigned, answered, transferred, handled jointly, finished by the
field officer with a live after-photo, and rated; and beside it a confidential report whose
reporter never appears in an event or a log line.

The system here is this module's own: its own databases and its own Kafka topic prefix, so
the session-wide `sigap` system (and its notify without SMTP) never handles these complaints
and every mail in the inbox and every message on the topics can be counted exactly. The
tests run in file order and share the story; a step whose predecessor failed is skipped."""

from __future__ import annotations

import asyncio
import dataclasses
import io
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from PIL import Image

from sigap_notify.events.audience import department_topic
from sigap_shared.events import TOPIC_DEAD_LETTER
from tests.e2e.conftest import INTAKE_DEVELOPMENT_INTERNAL_TOKEN
from tests.integration.notify.support import SmtpServer
from tests.support.cloudevents_sdk import parse_record
from tests.support.complaints import MARGONDA_JUANDA, lamp_complaint, place, traffic_light_complaint
from tests.support.infra import Infra, delete_prefixed_topics, random_name
from tests.support.kafka import eventually
from tests.support.services import SigapSystem, create_staff_user, start_private_system
from tests.unit.intake.images import camera_photo, jpeg_metadata_markers

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

WAIT_S = 90.0  # bound of every poll: two shared cores, four services, one broker

# Simpang Margonda - Juanda; the after-photo is taken there too (intake checks the distance).
MARGONDA = MARGONDA_JUANDA
PUBLIC_REPORTER = {"name": "Siti Aminah", "email": "siti.aminah@example.com"}
PUBLIC_COMPLAINT = traffic_light_complaint(
    description="Lampu lalu lintas di simpang Margonda - Juanda mati sejak pagi, kendaraan saling serobot",
    reporter=PUBLIC_REPORTER,
)

CONFIDENTIAL_REPORTER = {"name": "Rahmawati Kusumadewi", "phone": "0857-2468-1357", "email": "rahma.kusuma@example.org"}
# Every form the confidential reporter's identity could take in a message or a log line.
CONFIDENTIAL_SECRETS = (
    "Rahmawati",
    "Kusumadewi",
    "rahma.kusuma",
    "example.org",
    "0857-2468-1357",
    "085724681357",
    "85724681357",
    "2468-1357",
    "24681357",
)
# A public report's reporter is no more named in events and logs than a confidential one's
# (the department's own reply may greet her by first name: staff text is not checked).
PUBLIC_SECRETS = ("Siti Aminah", "Aminah", "siti.aminah")
CONFIDENTIAL_COMPLAINT = lamp_complaint(
    title="Pedagang kaki lima menutup trotoar",
    description="Lapak PKL menutup trotoar depan Stasiun Depok Baru setiap sore, pejalan kaki turun ke jalan",
    category="pedagang_kaki_lima",
    location=place(-6.3910, 106.8171, "Stasiun Depok Baru"),
    privacy="rahasia",
    reporter=CONFIDENTIAL_REPORTER,
)

# Where each recipient receives mail: one address each, so the To header names the recipient.
DISHUB_ADMINS = "antrean@dishub.depok.go.id"
DPUPR_ADMINS = "antrean@dpupr.depok.go.id"
DLHK_ADMINS = "antrean@dlhk.depok.go.id"
SATPOLPP_ADMINS = "antrean@satpolpp.depok.go.id"
ANDI = "andi.lapangan@dishub.depok.go.id"  # DISHUB field officer, assigned first
BAYU = "bayu.lapangan@dishub.depok.go.id"  # DISHUB field officer, assigned instead of Andi
CITRA = "citra.lapangan@dpupr.depok.go.id"  # DPUPR field officer, finishes the job

PASSWORD = "sandi-cerita-e2e-2026"
STAFF = {  # username -> (role, department, mail address for officers)
    "admin.dishub": ("dept_admin", "DISHUB", None),
    "admin.dpupr": ("dept_admin", "DPUPR", None),
    "admin.kota": ("city_admin", None, None),
    "andi.dishub": ("field_officer", "DISHUB", ANDI),
    "bayu.dishub": ("field_officer", "DISHUB", BAYU),
    "citra.dpupr": ("field_officer", "DPUPR", CITRA),
}

REPLY = "Terima kasih, Bu Siti. Petugas kami menuju lokasi siang ini untuk memeriksa lampu."
INTERNAL_NOTE = "Catatan internal: kabel lampu putus kena galian saluran, koordinasi dengan DPUPR."
RESOLUTION = "Kabel lampu lalu lintas disambung ulang dan galian ditutup; lampu menyala normal."


@dataclasses.dataclass
class Story:
    infra: Infra
    system: SigapSystem
    smtp: SmtpServer
    client: httpx.AsyncClient
    headers: dict[str, dict[str, str]] = dataclasses.field(default_factory=dict)
    state: dict[str, Any] = dataclasses.field(default_factory=dict)

    def url(self, service: str) -> str:
        return self.system.url(service)

    def need(self, *keys: str) -> list[Any]:
        """What earlier steps recorded; the step is skipped when one of them failed."""
        missing = [key for key in keys if key not in self.state]
        if missing:
            pytest.skip(f"an earlier step of the story failed (missing {missing})")
        return [self.state[key] for key in keys]

    async def status_of(self, complaint_id: str) -> dict | None:
        """The public view (only of complaints whose reporter chose publik)."""
        response = await self.client.get(f"{self.url('status')}/v1/complaints/{complaint_id}")
        return response.json() if response.status_code == 200 else None

    async def staff_status_of(self, complaint_id: str) -> dict | None:
        """The city admin's view, None until the complaint reached status."""
        response = await self.client.get(
            f"{self.url('status')}/v1/staff/complaints/{complaint_id}", headers=self.headers["admin.kota"]
        )
        return response.json() if response.status_code == 200 else None

    async def staff_view(self, complaint_id: str, who: str) -> dict:
        response = await self.client.get(
            f"{self.url('status')}/v1/staff/complaints/{complaint_id}", headers=self.headers[who]
        )
        assert response.status_code == 200, response.text
        return response.json()

    async def notifications(self, complaint_id: str) -> list[dict]:
        response = await self.client.get(
            f"{self.url('notify')}/v1/complaints/{complaint_id}/notifications", headers=self.headers["admin.kota"]
        )
        assert response.status_code == 200, response.text
        return response.json()["notifications"]

    async def mails(self, complaint_id: str) -> list[tuple[str, str, EmailMessage]]:
        """Every mail the SMTP server accepted about the complaint, as (To, template, mail); the
        template is read from notify's delivery log through the notification id in Message-ID
        ("?" for a mail notify does not account for)."""
        templates = {row["id"]: row["template"] for row in await self.notifications(complaint_id)}
        found = []
        for mail in self.smtp.inbox.for_complaint(complaint_id):
            message_id = mail["Message-ID"].strip().removeprefix("<notification-")
            notification_id = int(message_id.split(".", 1)[0]) if message_id[:1].isdigit() else -1
            found.append((str(mail["To"]), templates.get(notification_id, "?"), mail))
        return found

    async def mail_counts(self, complaint_id: str) -> Counter:
        return Counter((to, template) for to, template, _ in await self.mails(complaint_id))

    async def wait_for_mail(self, complaint_id: str, to: str, template: str) -> EmailMessage:
        async def arrived():
            return [mail for address, key, mail in await self.mails(complaint_id) if (address, key) == (to, template)]

        return (await eventually(arrived, timeout_s=WAIT_S))[0]

    async def all_delivered(self, complaint_id: str) -> list[dict]:
        """Notify's delivery log once nothing is pending or being sent any more."""

        async def final():
            rows = await self.notifications(complaint_id)
            return rows if rows and all(row["status"] in ("sent", "failed", "undeliverable") for row in rows) else None

        return await eventually(final, timeout_s=WAIT_S)

    async def version(self, complaint_id: str, who: str) -> int:
        return (await self.staff_view(complaint_id, who))["version"]


def _text(mail: EmailMessage) -> str:
    """A mail's plain-text body (a single text/plain part, or that part of a multipart mail)."""
    body = mail.get_body(preferencelist=("plain",))
    assert body is not None, f"no plain-text part in {mail['Subject']}"
    return body.get_content()


async def _start_system(infra: Infra, databases, log_dir: Path, photo_dir: Path, smtp: SmtpServer) -> SigapSystem:
    internal = {"SIGAP_INTERNAL_TOKEN": INTAKE_DEVELOPMENT_INTERNAL_TOKEN}

    def extra_env(name: str, system: SigapSystem) -> dict[str, str]:
        if name == "intake":
            return {"SIGAP_PHOTO_DIR": str(photo_dir)}
        if name == "status":
            return {"SIGAP_INTAKE_INTERNAL_URL": system.url("intake"), **internal}
        if name == "notify":
            return {
                "SIGAP_SMTP_HOST": "127.0.0.1",
                "SIGAP_SMTP_PORT": str(smtp.port),
                "SIGAP_DISPATCHER_POLL_INTERVAL_S": "0.2",
                "SIGAP_INTAKE_INTERNAL_URL": system.url("intake"),
                **internal,
            }
        return {}

    return await start_private_system(infra, databases, label="story", log_dir=log_dir, extra_env=extra_env)


@pytest.fixture(scope="module")
async def story(infra: Infra, databases, tmp_path_factory) -> AsyncIterator[Story]:
    # A topic prefix of its own: no other system of this session consumes these events.
    own_infra = dataclasses.replace(infra, topic_prefix=random_name("story") + ".")
    base = tmp_path_factory.mktemp("complaint-story")
    (base / "logs").mkdir()
    smtp = SmtpServer()
    await smtp.start()
    system: SigapSystem | None = None
    try:
        system = await _start_system(own_infra, databases, base / "logs", base / "photos", smtp)
        status_database = system.services["status"].database
        for username, (role, department, _) in STAFF.items():
            args = ["--role", role] + (["--department", department] if department else [])
            await asyncio.to_thread(create_staff_user, own_infra, status_database, username, PASSWORD, *args)
        async with httpx.AsyncClient(timeout=20) as client:
            story = Story(infra=own_infra, system=system, smtp=smtp, client=client)
            for username in STAFF:
                login = await client.post(
                    f"{system.url('status')}/v1/auth/login", json={"username": username, "password": PASSWORD}
                )
                assert login.status_code == 200, login.text
                story.headers[username] = {"Authorization": f"Bearer {login.json()['access_token']}"}
            yield story
    finally:
        if system is not None:
            system.stop()
        await smtp.stop()
        try:
            await asyncio.wait_for(delete_prefixed_topics(own_infra), 60)
        except Exception as exc:  # noqa: BLE001 - cleanup must not fail the tests
            print(f"could not delete the story's topics: {exc!r}")


async def _read_every_topic(infra: Infra) -> list[ConsumerRecord]:
    """Every message on every topic under the story's prefix, from the beginning to the end
    offsets of the moment of asking."""
    # The producer's metadata lookup is the public way to learn a topic's partitions.
    producer = AIOKafkaProducer(bootstrap_servers=infra.kafka_bootstrap)
    consumer = AIOKafkaConsumer(bootstrap_servers=infra.kafka_bootstrap, enable_auto_commit=False)
    await producer.start()
    await consumer.start()
    try:
        topics = sorted(topic for topic in await consumer.topics() if topic.startswith(infra.topic_prefix))
        partitions = []
        for topic in topics:
            numbers = sorted(await producer.partitions_for(topic))
            partitions += [TopicPartition(topic, number) for number in numbers]
        assert partitions, f"no topics under {infra.topic_prefix}"
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        records: list[ConsumerRecord] = []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + WAIT_S
        while loop.time() < deadline:
            positions = [await consumer.position(tp) for tp in partitions]
            if all(position >= ends[tp] for position, tp in zip(positions, partitions, strict=True)):
                return records
            for batch in (await consumer.getmany(timeout_ms=500)).values():
                records.extend(batch)
        raise AssertionError("could not read the story's topics to their end")
    finally:
        await consumer.stop()
        await producer.stop()


async def _topic_events(story: Story, department: str, complaint_id: str) -> list[dict]:
    """The complaint's events on a department's topic, in order, each once (delivery is at
    least once: a relay may publish an event again, with the same id)."""
    records = await _read_every_topic(story.infra)
    topic = story.infra.topic(department_topic(department))
    events: dict[str, dict] = {}
    for record in records:
        if record.topic == topic and record.key == complaint_id.encode():
            event = parse_record(record)
            events.setdefault(event["id"], event)
    return list(events.values())


async def _upload_live_photo(story: Story, *, at: tuple[float, float]) -> dict:
    """A photo taken just now with the phone camera (fresh EXIF with time and GPS), sent
    through a capture session as the officer's app does."""
    session = await story.client.post(f"{story.url('intake')}/v1/capture-sessions")
    assert session.status_code == 201, session.text
    data = camera_photo(uuid.uuid4().int % 10**9, taken_at=datetime.now(UTC), gps=at)
    assert "APP1:Exif" in jpeg_metadata_markers(data)
    uploaded = await story.client.post(
        f"{story.url('intake')}/v1/photos",
        data={"capture_token": session.json()["capture_token"]},
        files={"file": ("IMG_20261128_0931.jpg", data, "application/octet-stream")},
    )
    assert uploaded.status_code == 201, uploaded.text
    return uploaded.json()


# -- 1 and 2: submitted, routed, the first mails ---------------------------------------------


async def test_1_submitted_complaints_are_routed_and_the_first_mails_go_out(story: Story):
    client = story.client
    notify = story.url("notify")
    for department, address, who in (
        ("DISHUB", DISHUB_ADMINS, "admin.dishub"),
        ("DPUPR", DPUPR_ADMINS, "admin.dpupr"),
        ("DLHK", DLHK_ADMINS, "admin.kota"),
        ("SATPOLPP", SATPOLPP_ADMINS, "admin.kota"),
    ):
        response = await client.put(
            f"{notify}/v1/departments/{department}/contacts", json={"emails": [address]}, headers=story.headers[who]
        )
        assert response.status_code == 200, response.text
    for username, (_, department, address) in STAFF.items():
        if address is None:
            continue
        response = await client.put(
            f"{notify}/v1/departments/{department}/officers/{username}/contacts",
            json={"emails": [address]},
            headers=story.headers["admin.dishub" if department == "DISHUB" else "admin.dpupr"],
        )
        assert response.status_code == 200, response.text
        assert response.json()["recipient"] == f"officer:{department}:{username}"
    # A department admin may not register another department's officers.
    refused = await client.put(
        f"{notify}/v1/departments/DPUPR/officers/andi.dishub/contacts",
        json={"emails": [ANDI]},
        headers=story.headers["admin.dishub"],
    )
    assert refused.status_code == 403, refused.text

    public = await client.post(f"{story.url('intake')}/v1/complaints", json=PUBLIC_COMPLAINT)
    assert public.status_code == 201, public.text
    confidential = await client.post(f"{story.url('intake')}/v1/complaints", json=CONFIDENTIAL_COMPLAINT)
    assert confidential.status_code == 201, confidential.text
    public_id, confidential_id = public.json()["id"], confidential.json()["id"]
    code = public.json()["tracking_code"]

    async def received(complaint_id: str, department: str):
        view = await story.staff_status_of(complaint_id)
        return view if view and view["status"] == "diterima" and view["department"] == department else None

    await eventually(lambda: received(public_id, "DISHUB"), timeout_s=WAIT_S)
    await eventually(lambda: received(confidential_id, "SATPOLPP"), timeout_s=WAIT_S)

    queued = await story.wait_for_mail(public_id, DISHUB_ADMINS, "staff.new_in_queue")
    assert str(queued["Subject"]) == f"Laporan baru {code} di antrean DISHUB"
    thanks = await story.wait_for_mail(public_id, PUBLIC_REPORTER["email"], "reporter.status.diterima")
    assert str(thanks["Subject"]) == f"Laporan {code} telah diterima"
    assert code in _text(thanks)
    await story.wait_for_mail(confidential_id, SATPOLPP_ADMINS, "staff.new_in_queue")
    await story.wait_for_mail(confidential_id, CONFIDENTIAL_REPORTER["email"], "reporter.status.diterima")

    await story.all_delivered(public_id)
    assert await story.mail_counts(public_id) == Counter(
        {(DISHUB_ADMINS, "staff.new_in_queue"): 1, (PUBLIC_REPORTER["email"], "reporter.status.diterima"): 1}
    )
    await story.all_delivered(confidential_id)
    assert await story.mail_counts(confidential_id) == Counter(
        {(SATPOLPP_ADMINS, "staff.new_in_queue"): 1, (CONFIDENTIAL_REPORTER["email"], "reporter.status.diterima"): 1}
    )
    # Even the city admin's staff view does not name the reporter: that takes the audited look (step 8).
    staff_view = await story.staff_view(confidential_id, "admin.kota")
    assert staff_view["privacy"] == "rahasia"
    assert not any(secret in str(staff_view) for secret in CONFIDENTIAL_SECRETS)

    story.state.update(
        public_id=public_id,
        code=code,
        follow_up_token=public.json()["follow_up_token"],
        confidential_id=confidential_id,
    )


# -- 3 and 4: verified, assigned, reassigned, answered, noted --------------------------------


async def test_2_verify_assign_reassign_reply_and_internal_note(story: Story):
    complaint_id, code = story.need("public_id", "code")
    client, status = story.client, story.url("status")
    admin = story.headers["admin.dishub"]

    verified = await client.post(
        f"{status}/v1/complaints/{complaint_id}/transitions",
        json={"to": "terverifikasi", "expected_version": await story.version(complaint_id, "admin.dishub"),
              "note": "Sudah dicek: lampu memang mati"},
        headers=admin,
    )
    assert verified.status_code == 200, verified.text
    assert verified.json()["status"] == "terverifikasi"
    follow_up_token = story.state["follow_up_token"]
    early = await client.post(
        f"{story.url('intake')}/v1/track/{code}/rating",
        json={"rating": 4},
        headers={"X-Follow-Up-Token": follow_up_token},
    )
    assert early.status_code == 409, early.text  # only a finished complaint can be rated
    assert early.headers["content-type"].startswith("application/problem+json")

    async def assign(officer: str | None) -> dict:
        response = await client.put(
            f"{status}/v1/complaints/{complaint_id}/assignment",
            json={"officer": officer, "expected_version": await story.version(complaint_id, "admin.dishub")},
            headers=admin,
        )
        assert response.status_code == 200, response.text
        return response.json()

    assert (await assign("andi.dishub"))["assigned_officer"] == "andi.dishub"
    assigned = await story.wait_for_mail(complaint_id, ANDI, "staff.officer_assigned")
    assert str(assigned["Subject"]) == f"Tugas baru: laporan {code}"
    await story.all_delivered(complaint_id)
    assert (await story.mail_counts(complaint_id))[(ANDI, "staff.officer_assigned")] == 1

    assert (await assign("bayu.dishub"))["assigned_officer"] == "bayu.dishub"
    released = await story.wait_for_mail(complaint_id, ANDI, "staff.officer_unassigned")
    assert str(released["Subject"]) == f"Tugas laporan {code} dialihkan"
    await story.wait_for_mail(complaint_id, BAYU, "staff.officer_assigned")
    # The officer a complaint was taken from no longer sees it; the new one does.
    hidden = await client.get(f"{status}/v1/staff/complaints/{complaint_id}", headers=story.headers["andi.dishub"])
    assert hidden.status_code == 404
    assert (await story.staff_view(complaint_id, "bayu.dishub"))["assigned_officer"] == "bayu.dishub"

    reply = await client.post(
        f"{status}/v1/complaints/{complaint_id}/notes", json={"body": REPLY, "visibility": "reporter"}, headers=admin
    )
    assert reply.status_code == 201, reply.text
    note = await client.post(
        f"{status}/v1/complaints/{complaint_id}/notes",
        json={"body": INTERNAL_NOTE, "visibility": "internal"},
        headers=story.headers["bayu.dishub"],
    )
    assert note.status_code == 201, note.text

    answer = await story.wait_for_mail(complaint_id, PUBLIC_REPORTER["email"], "reporter.reply")
    assert str(answer["Subject"]) == f"Balasan dari dinas untuk laporan {code}"
    assert REPLY in _text(answer) and "DISHUB" in _text(answer)
    await story.wait_for_mail(complaint_id, PUBLIC_REPORTER["email"], "reporter.status.terverifikasi")

    log = await story.all_delivered(complaint_id)
    # The reply is announced under its timeline entry's id; the internal note under none.
    assert {row["event_id"] for row in log if row["template"] == "reporter.reply"} == {reply.json()["id"]}
    assert note.json()["id"] not in {row["event_id"] for row in log}
    assert not any(INTERNAL_NOTE in _text(mail) for _, _, mail in await story.mails(complaint_id))
    assert await story.mail_counts(complaint_id) == Counter(
        {
            (DISHUB_ADMINS, "staff.new_in_queue"): 1,
            (PUBLIC_REPORTER["email"], "reporter.status.diterima"): 1,
            (PUBLIC_REPORTER["email"], "reporter.status.terverifikasi"): 1,
            (ANDI, "staff.officer_assigned"): 1,
            (ANDI, "staff.officer_unassigned"): 1,
            (BAYU, "staff.officer_assigned"): 1,
            (PUBLIC_REPORTER["email"], "reporter.reply"): 1,
        }
    )
    # The public sees the department's reply, not the staff's internal note.
    public_view = await story.status_of(complaint_id)
    assert REPLY in str(public_view) and INTERNAL_NOTE not in str(public_view)
    story.state.update(reply_id=reply.json()["id"], note_id=note.json()["id"])


# -- 5: transferred, then handled jointly ---------------------------------------------------


async def test_3_transfer_and_joint_handling_through_routing(story: Story):
    complaint_id, code, _ = story.need("public_id", "code", "reply_id")
    client, routing = story.client, story.url("routing")

    # Only the lead department (or the city) hands a complaint on.
    refused = await client.post(
        f"{routing}/v1/routing/complaints/{complaint_id}/transfer",
        json={"to_department": "DPUPR", "reason": "bukan wewenang kami"},
        headers=story.headers["admin.dpupr"],
    )
    assert refused.status_code == 403, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")

    transferred = await client.post(
        f"{routing}/v1/routing/complaints/{complaint_id}/transfer",
        json={"to_department": "DPUPR", "reason": "bukan wewenang: kabel putus akibat galian saluran DPUPR"},
        headers=story.headers["admin.dishub"],
    )
    assert transferred.status_code == 200, transferred.text
    assert transferred.json()["lead_department"] == "DPUPR"

    moved_in = await story.wait_for_mail(complaint_id, DPUPR_ADMINS, "staff.transferred_in")
    assert str(moved_in["Subject"]) == f"Laporan {code} dialihkan ke DPUPR"
    assert "galian saluran" in _text(moved_in)
    told = await story.wait_for_mail(complaint_id, PUBLIC_REPORTER["email"], "reporter.transferred")
    assert str(told["Subject"]) == f"Laporan {code} dialihkan" and "DPUPR" in _text(told)

    async def led_by_dpupr():
        view = await story.status_of(complaint_id)
        return view if view and view["department"] == "DPUPR" else None

    await eventually(led_by_dpupr, timeout_s=WAIT_S)

    supported = await client.post(
        f"{routing}/v1/routing/complaints/{complaint_id}/supporting",
        json={"department": "DLHK", "reason": "dahan pohon menutupi lampu, perlu dipangkas"},
        headers=story.headers["admin.dpupr"],
    )
    assert supported.status_code == 200, supported.text
    assert supported.json()["supporting_departments"] == ["DLHK"]
    asked = await story.wait_for_mail(complaint_id, DLHK_ADMINS, "staff.support_added")
    assert "DPUPR" in _text(asked) and "dipangkas" in _text(asked)

    async def supported_in_status():
        view = await story.staff_view(complaint_id, "admin.dpupr")
        return view if view["supporting_departments"] == ["DLHK"] else None

    view = await eventually(supported_in_status, timeout_s=WAIT_S)
    assert view["assigned_officer"] is None  # DISHUB's officer does not travel with the complaint
    # DISHUB has handed the complaint on: its admin no longer sees it.
    gone = await client.get(
        f"{story.url('status')}/v1/staff/complaints/{complaint_id}", headers=story.headers["admin.dishub"]
    )
    assert gone.status_code == 404
    story.state.update(transferred=True)


# -- 6: finished by DPUPR's field officer with a live after-photo -------------------------------


async def test_4_the_officer_finishes_with_a_live_after_photo(story: Story):
    complaint_id, code, follow_up_token, _ = story.need("public_id", "code", "follow_up_token", "transferred")
    client, status = story.client, story.url("status")
    assigned = await client.put(
        f"{status}/v1/complaints/{complaint_id}/assignment",
        json={"officer": "citra.dpupr", "expected_version": await story.version(complaint_id, "admin.dpupr")},
        headers=story.headers["admin.dpupr"],
    )
    assert assigned.status_code == 200, assigned.text
    await story.wait_for_mail(complaint_id, CITRA, "staff.officer_assigned")

    officer = story.headers["citra.dpupr"]

    async def transition(**body) -> httpx.Response:
        return await client.post(
            f"{status}/v1/complaints/{complaint_id}/transitions",
            json={"expected_version": await story.version(complaint_id, "citra.dpupr"), **body},
            headers=officer,
        )

    started = await transition(to="dalam_proses", note="Menuju lokasi")
    assert started.status_code == 200, started.text
    photo = await _upload_live_photo(story, at=MARGONDA)
    assert photo["verdict"] == "verified_live", photo
    finished = await transition(to="selesai", resolution_note=RESOLUTION, after_photo_ids=[photo["id"]])
    assert finished.status_code == 200, finished.text
    assert finished.json()["status"] == "selesai" and finished.json()["after_photo_ids"] == [photo["id"]]

    done = await story.wait_for_mail(complaint_id, PUBLIC_REPORTER["email"], "reporter.status.selesai")
    assert str(done["Subject"]) == f"Laporan {code} telah selesai"
    assert RESOLUTION in _text(done) and f"/lacak/{code}/nilai" in _text(done)
    await story.wait_for_mail(complaint_id, PUBLIC_REPORTER["email"], "reporter.status.dalam_proses")

    async def tracked_finished():
        response = await client.get(
            f"{story.url('intake')}/v1/track/{code}", headers={"X-Follow-Up-Token": follow_up_token}
        )
        body = response.json() if response.status_code == 200 else None
        return body if body and body["status"] == "selesai" else None

    tracked = await eventually(tracked_finished, timeout_s=WAIT_S)
    assert tracked["after_photo_ids"] == [photo["id"]]
    assert tracked["resolution_note"] == RESOLUTION and tracked["department"] == "DPUPR"

    served = await client.get(f"{story.url('intake')}/v1/photos/{photo['id']}/public")
    assert served.status_code == 200, served.text
    assert served.headers["content-type"] == "image/jpeg"
    assert jpeg_metadata_markers(served.content) == ["APP0:JFIF"]  # no EXIF (time, GPS, device)
    image = Image.open(io.BytesIO(served.content))
    assert image.format == "JPEG" and not image.getexif()
    assert b"SM-A546E" not in served.content and b"samsung" not in served.content
    story.state.update(after_photo_id=photo["id"], finished=True)


# -- 7: rated by the reporter ---------------------------------------------------------------


async def test_5_the_reporter_rates_and_the_lead_department_hears(story: Story):
    complaint_id, code, follow_up_token, _ = story.need("public_id", "code", "follow_up_token", "finished")
    intake = story.url("intake")
    forged = await story.client.post(
        f"{intake}/v1/track/{code}/rating", json={"rating": 5}, headers={"X-Follow-Up-Token": "bukan-token-asli"}
    )
    assert forged.status_code in (401, 403, 404), forged.text
    assert forged.headers["content-type"].startswith("application/problem+json")
    rated = await story.client.post(
        f"{intake}/v1/track/{code}/rating",
        json={"rating": 5, "comment": "Cepat ditangani, terima kasih"},
        headers={"X-Follow-Up-Token": follow_up_token},
    )
    assert rated.status_code == 201, rated.text
    again = await story.client.post(
        f"{intake}/v1/track/{code}/rating", json={"rating": 1}, headers={"X-Follow-Up-Token": follow_up_token}
    )
    assert again.status_code == 409, again.text
    assert again.json()["type"].endswith("already-rated")
    tracked = await story.client.get(f"{intake}/v1/track/{code}", headers={"X-Follow-Up-Token": follow_up_token})
    assert tracked.json()["rating"] == 5
    mail = await story.wait_for_mail(complaint_id, DPUPR_ADMINS, "staff.complaint_rated")
    assert str(mail["Subject"]) == f"Pelapor menilai penanganan laporan {code}"
    assert "5 dari 5" in _text(mail)

    # What the public sees of the finished story names departments, never staff.
    async def rated_in_status():
        view = await story.status_of(complaint_id)
        types = [entry["type"] for entry in view["timeline"]] if view else []
        return view if "sigap.complaint.rated.v1" in types else None

    public_views = [await eventually(rated_in_status, timeout_s=WAIT_S), tracked.json()]
    for view in public_views:
        for username in STAFF:
            assert username not in str(view), f"{username} in a public view"
    story.state.update(rated=True)


# -- 2 to 7 once more: every mail of the story, each exactly once; the department topics ---------


async def test_6_every_mail_of_the_story_went_out_exactly_once(story: Story):
    complaint_id, _ = story.need("public_id", "rated")
    reporter = PUBLIC_REPORTER["email"]
    expected = Counter(
        {
            (DISHUB_ADMINS, "staff.new_in_queue"): 1,
            (reporter, "reporter.status.diterima"): 1,
            (reporter, "reporter.status.terverifikasi"): 1,
            (ANDI, "staff.officer_assigned"): 1,
            (ANDI, "staff.officer_unassigned"): 1,
            (BAYU, "staff.officer_assigned"): 1,
            (BAYU, "staff.officer_unassigned"): 1,  # the transfer took the complaint from him
            (reporter, "reporter.reply"): 1,
            (DPUPR_ADMINS, "staff.transferred_in"): 1,
            (reporter, "reporter.transferred"): 1,
            (DLHK_ADMINS, "staff.support_added"): 1,
            (CITRA, "staff.officer_assigned"): 1,
            (reporter, "reporter.status.dalam_proses"): 1,
            (reporter, "reporter.status.selesai"): 1,
            (DPUPR_ADMINS, "staff.complaint_rated"): 1,
        }
    )
    log = await story.all_delivered(complaint_id)
    assert {row["status"] for row in log if row["channel"] == "email"} == {"sent"}
    # The delivery log shows where mail went only masked.
    assert not any(address in str(log) for address in (PUBLIC_REPORTER["email"], ANDI, BAYU, CITRA, DPUPR_ADMINS))
    counts = await story.mail_counts(complaint_id)
    assert counts == expected
    for to, template, mail in await story.mails(complaint_id):
        text = str(mail["Subject"]) + _text(mail)
        assert "$" not in text, f"unfilled placeholder in {template} to {to}: {text}"
    # Each sent email row is exactly one mail, and no mail went out twice.
    mail_ids = sorted(mail["Message-ID"] for _, _, mail in await story.mails(complaint_id))
    assert len(mail_ids) == len(set(mail_ids)) == len([r for r in log if r["channel"] == "email"])


async def test_7_the_supporting_department_topic_follows_the_complaint_and_others_do_not(story: Story):
    complaint_id, _ = story.need("public_id", "rated")

    async def dlhk_heard_the_rating():
        events = await _topic_events(story, "DLHK", complaint_id)
        return events if "sigap.complaint.rated.v1" in {event["type"] for event in events} else None

    supporting = await eventually(dlhk_heard_the_rating, timeout_s=WAIT_S)
    types = [event["type"] for event in supporting]
    assert types[0] == "sigap.complaint.support_added.v1"  # nothing from before joint handling
    statuses = [event["data"]["status"] for event in supporting if event["type"] == "sigap.complaint.status_changed.v1"]
    assert statuses == ["dalam_proses", "selesai"]
    assert "sigap.complaint.assigned.v1" in types
    assert all(event["data"].get("reporter") is None for event in supporting)  # redacted for departments

    lead = await _topic_events(story, "DPUPR", complaint_id)
    assert {event["id"] for event in supporting} <= {event["id"] for event in lead}
    assert "sigap.complaint.transferred.v1" in {event["type"] for event in lead}
    # DISHUB handed it on: its topic stops at the transfer. SATPOLPP never had anything to do with it.
    former = await _topic_events(story, "DISHUB", complaint_id)
    assert former and former[0]["type"] == "sigap.complaint.routed.v1"
    assert not {"sigap.complaint.transferred.v1", "sigap.complaint.support_added.v1", "sigap.complaint.rated.v1"} & {
        event["type"] for event in former
    }
    assert "selesai" not in {event["data"].get("status") for event in former}
    assert await _topic_events(story, "SATPOLPP", complaint_id) == []


async def test_6b_the_officer_a_transfer_took_the_complaint_from_is_told(story: Story):
    complaint_id, _ = story.need("public_id", "rated")
    await story.all_delivered(complaint_id)
    # Bayu (DISHUB) was assigned when DPUPR took the complaint over; he lost it (status dropped
    # the assignment and he can no longer open it), and is told so, as Andi was on the reassignment.
    gone = await story.client.get(
        f"{story.url('status')}/v1/staff/complaints/{complaint_id}", headers=story.headers["bayu.dishub"]
    )
    assert gone.status_code == 404
    assert (await story.mail_counts(complaint_id))[(BAYU, "staff.officer_unassigned")] == 1


# -- 8: the confidential report ---------------------------------------------------------------


async def test_8_the_confidential_reporter_is_seen_only_by_the_city_admin_and_never_in_events_or_logs(story: Story):
    complaint_id, public_id = story.need("confidential_id", "public_id")
    client, status = story.client, story.url("status")
    reason = "Konfirmasi lokasi lapak langsung dengan pelapor"

    refused = await client.get(
        f"{status}/v1/staff/complaints/{complaint_id}/reporter-identity",
        params={"reason": reason},
        headers=story.headers["admin.dpupr"],
    )
    # Only the city admin's role may ask, so a department admin is refused before any complaint is looked
    # up: the same answer as for a complaint that does not exist, so not even its existence is told.
    assert refused.status_code == 403
    unknown = await client.get(
        f"{status}/v1/staff/complaints/{uuid.uuid4()}/reporter-identity",
        params={"reason": reason},
        headers=story.headers["admin.dpupr"],
    )
    assert (unknown.status_code, unknown.json()["detail"]) == (403, refused.json()["detail"])
    identity = await client.get(
        f"{status}/v1/staff/complaints/{complaint_id}/reporter-identity",
        params={"reason": reason},
        headers=story.headers["admin.kota"],
    )
    assert identity.status_code == 200, identity.text
    body = identity.json()
    assert (body["privacy"], body["name"], body["email"]) == (
        "rahasia",
        CONFIDENTIAL_REPORTER["name"],
        CONFIDENTIAL_REPORTER["email"],
    )
    assert body["phone"] and body["phone"].replace("-", "").endswith("24681357")
    access_log = await client.get(
        f"{story.url('intake')}/internal/v1/identities/access-log",
        params={"complaint_id": complaint_id},
        headers={"Authorization": f"Bearer {INTAKE_DEVELOPMENT_INTERNAL_TOKEN}"},
    )
    assert access_log.status_code == 200, access_log.text
    entries = access_log.json()["entries"]
    assert [(e["actor"], e["actor_role"], e["outcome"], e["reason"]) for e in entries] == [
        ("admin.kota", "city_admin", "revealed", reason)
    ]
    assert str(body["audit_id"]) in str(await story.staff_view(complaint_id, "admin.kota"))

    # Every message on every topic of the story (both complaints' whole lives, the department
    # copies, dead letters if any), and every line every service logged.
    records = await _read_every_topic(story.infra)
    topics = {record.topic.removeprefix(story.infra.topic_prefix) for record in records}
    assert {"sigap.complaint.submitted", "sigap.complaint.routed", "sigap.complaint.status",
            "sigap.complaint.followup", department_topic("SATPOLPP")} <= topics
    assert any(record.key == complaint_id.encode() for record in records)
    assert any(record.key == public_id.encode() for record in records)
    for record in records:
        raw = (record.key or b"") + (record.value or b"") + b"".join(value for _, value in record.headers)
        leaked = [secret for secret in CONFIDENTIAL_SECRETS + PUBLIC_SECRETS if secret.encode() in raw]
        assert not leaked, f"{leaked} in a message on {record.topic}"
    assert not any(record.topic.endswith(TOPIC_DEAD_LETTER) for record in records)

    for name, service in story.system.services.items():
        text = service.log_text()
        assert text, f"{name} logged nothing"
        leaked = [secret for secret in CONFIDENTIAL_SECRETS + PUBLIC_SECRETS if secret in text]
        assert not leaked, f"{leaked} in {name}'s log"
    assert "reporter_identity_viewed" in story.system.services["status"].log_text()
