"""The text/plain message notify writes itself for SMTP: whatever it writes, a standard parser
reads back the same sender, recipients, subject, headers and body."""

from __future__ import annotations

import email
import email.policy

import pytest

from sigap_notify.channels.email import plain_email

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
    raw = plain_email(
        sender="Sigap Kota Depok <no-reply@sigap.depok.go.id>",
        to=["admin.dishub@depok.go.id", "kepala@depok.go.id"],
        subject=subject,
        body=body,
        headers=HEADERS,
    )
    assert raw is not None
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))
    assert raw.isascii()
    message = _parse(raw)
    assert message["From"] == "Sigap Kota Depok <no-reply@sigap.depok.go.id>"
    assert message["To"] == "admin.dishub@depok.go.id, kepala@depok.go.id"
    assert message["Bcc"] is None
    assert str(message["Subject"]).replace("\r\n", "\n") == subject.replace("\r\n", "\n")
    for name, value in HEADERS:
        assert message[name] == value
    assert message.get_content_type() == "text/plain"
    assert message.get_content_charset() == "utf-8"
    assert message.get_content() == body


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
