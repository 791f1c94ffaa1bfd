"""The text/plain message the email package composes for what `plain_email` leaves to it: a
standard parser reads back the same sender, recipients, subject, headers and body."""

from __future__ import annotations

import email
import email.policy

import pytest
from aiosmtplib.email import flatten_message

from sigap_notify.channels.email import compose_email

HEADERS = [
    ("Date", "Sat, 28 Nov 2026 01:00:00 -0000"),
    ("Message-ID", "<notification-7.abc@sigap.notify>"),
    ("Content-Language", "id"),
    ("X-Sigap-Complaint", "0b0e6c1e-5f0e-4d1b-9a43-1f1f0f0f0f0f"),
]


def _parse(raw: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(raw, policy=email.policy.default)


@pytest.mark.parametrize(
    "subject",
    [
        "Pengaduan SGP-1A2B-3C diterima",
        "Pengaduan Anda sudah selesai — terima kasih, nilai layanan kami ✓",
        "Sangat panjang " * 20,
        "Baris\r\nBcc: penyusup@example.com",
        "=?utf-8?b?bm90IGVuY29kZWQ=?= tetap apa adanya",
        "",
    ],
)
def test_a_standard_parser_reads_back_what_was_written(subject):
    body = "Halo,\nstatus pengaduan Anda: dalam proses.\nSalam — Pemkot Depok ✓\n" * 30
    # What the SMTP client sends (it turns line ends into CRLF on the wire).
    raw = flatten_message(
        compose_email(
            sender="Sigap Kota Depok <no-reply@sigap.depok.go.id>",
            to=["admin.dishub@depok.go.id", "kepala@depok.go.id"],
            subject=subject,
            body=body,
            headers=HEADERS,
        )
    )
    assert all(len(line) <= 998 for line in raw.splitlines())
    assert raw.isascii()
    message = _parse(raw)
    assert message["From"] == "Sigap Kota Depok <no-reply@sigap.depok.go.id>"
    assert message["To"] == "admin.dishub@depok.go.id, kepala@depok.go.id"
    assert message["Bcc"] is None
    # A line break in a subject reads back as the space it is shown as; it never starts a header.
    assert " ".join(str(message["Subject"]).split()) == " ".join(subject.split())
    for name, value in HEADERS:
        assert message[name] == value
    assert message.get_content_type() == "text/plain"
    assert message.get_content_charset() == "utf-8"
    assert message.get_content() == body


@pytest.mark.parametrize(
    ("sender", "to"),
    [
        ("Sigap <no-reply@sigap.depok.go.id>", ["wargá@example.com"]),
        ("Sígap Kota Depok <no-reply@sigap.depok.go.id>", ["warga@example.com"]),
    ],
)
def test_a_sender_or_address_that_is_not_ascii_is_read_back_as_written(sender, to):
    message = _parse(flatten_message(compose_email(sender=sender, to=to, subject="s", body="b", headers=HEADERS)))
    assert message["From"] == sender
    assert all(address in message["To"] for address in to)
    assert message.get_content() == "b"
