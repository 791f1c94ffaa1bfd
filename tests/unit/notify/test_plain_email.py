"""The text/plain message notify writes itself for SMTP, and what the email package writes for
the messages it leaves to it: a standard parser reads back the same sender, recipients,
subject, headers and body."""

from __future__ import annotations

import email
import email.policy

import pytest
from aiosmtplib.email import flatten_message

from sigap_notify.channels.email import compose_email, plain_email

HEADERS = [
    ("Date", "Sat, 28 Nov 2026 01:00:00 -0000"),
    ("Message-ID", "<notification-7.abc@sigap.notify>"),
    ("Content-Language", "id"),
    ("X-Sigap-Complaint", "0b0e6c1e-5f0e-4d1b-9a43-1f1f0f0f0f0f"),
]


def _parse(raw: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(raw, policy=email.policy.default)


SUBJECTS = [
    "Pengaduan SGP-1A2B-3C diterima",
    "Pengaduan Anda sudah selesai — terima kasih, nilai layanan kami ✓",
    "Sangat panjang " * 20,
    "Baris\r\nBcc: penyusup@example.com",
    "=?utf-8?b?bm90IGVuY29kZWQ=?= tetap apa adanya",
    "",
]


SENDER = "Sigap Kota Depok <no-reply@sigap.depok.go.id>"
TO = ["admin.dishub@depok.go.id", "kepala@depok.go.id"]
BODY = "Halo,\nstatus pengaduan Anda: dalam proses.\nSalam — Pemkot Depok ✓\n" * 30


def _read_back(raw: bytes) -> email.message.EmailMessage:
    """What a standard parser reads of `raw`, once the message is checked to be SMTP-safe
    (ASCII, no line over 998 characters) and read back with everything it was written with."""
    assert all(len(line) <= 998 for line in raw.splitlines())
    assert raw.isascii()
    message = _parse(raw)
    assert (message["From"], message["To"], message["Bcc"]) == (SENDER, ", ".join(TO), None)
    for name, value in HEADERS:
        assert message[name] == value
    assert (message.get_content_type(), message.get_content_charset()) == ("text/plain", "utf-8")
    assert message.get_content() == BODY
    return message


@pytest.mark.parametrize("subject", SUBJECTS)
def test_a_standard_parser_reads_back_what_was_written(subject):
    raw = plain_email(sender=SENDER, to=TO, subject=subject, body=BODY, headers=HEADERS)
    assert raw is not None
    assert all(line.endswith(b"\r") or not line for line in raw.split(b"\n")[:-1])  # CRLF line ends
    message = _read_back(raw)
    assert str(message["Subject"]).replace("\r\n", "\n") == subject.replace("\r\n", "\n")


@pytest.mark.parametrize(
    ("sender", "to", "headers"),
    [
        ("Sigap <no-reply@sigap.depok.go.id>", ["wargá@example.com"], HEADERS),
        ("Sígap <no-reply@sigap.depok.go.id>", ["warga@example.com"], HEADERS),
        ("Sigap <no-reply@sigap.depok.go.id>", ["warga@example.com\r\nBcc: x@example.com"], HEADERS),
        ("Sigap <no-reply@sigap.depok.go.id>", ["warga@example.com"], [("X-Sigap-Complaint", "a\nb")]),
    ],
)
def test_what_is_not_plain_one_line_ascii_is_left_to_the_email_package(sender, to, headers):
    assert plain_email(sender=sender, to=to, subject="s", body="b", headers=headers) is None


@pytest.mark.parametrize("subject", SUBJECTS)
def test_what_the_email_package_writes_reads_back_too(subject):
    # What the SMTP client sends (it turns line ends into CRLF on the wire).
    raw = flatten_message(compose_email(sender=SENDER, to=TO, subject=subject, body=BODY, headers=HEADERS))
    message = _read_back(raw)
    # A line break in a subject reads back as the space it is shown as; it never starts a header.
    assert " ".join(str(message["Subject"]).split()) == " ".join(subject.split())


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
