"""Pure rules of following up a complaint as its reporter: who may see it, and when
information may be added, the handling rated, or the complaint reopened."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from sigap_intake.domain import hash_token
from sigap_shared.errors import DomainError, Text

# The public note of SP4N-LAPOR!'s auto-close in the tracking timeline (docs/lapor.md); status
# sets the number of working days (SIGAP_LAPOR_CLOSE_DAYS), so the note does not name it. It
# names no one, so it stays when the reporter's personal data is erased.
AUTO_CLOSE_NOTE = "Ditutup otomatis (SP4N-LAPOR!): tidak ada tanggapan dalam masa tanggapan setelah tindak lanjut dinas."

CLOSED_STATUSES = frozenset({"selesai", "ditolak"})


class FollowUpError(DomainError):
    """A follow-up its rules refuse (unknown complaint or wrong token, closed, too late)."""


def not_found() -> FollowUpError:
    # Same answer for an unknown code and a wrong token: codes cannot be probed for existence.
    return FollowUpError(
        "complaint-not-found",
        Text(
            id="Laporan tidak ditemukan, atau token tindak lanjut salah. Periksa kode dan token Anda.",
            en="Report not found, or the follow-up token is wrong. Check your code and token.",
        ),
    )


@dataclass(frozen=True, slots=True)
class TrackedComplaint:
    id: object
    tracking_code: str
    follow_up_token_hash: bytes
    privacy: str
    publicly_visible: bool
    status: str
    status_changed_at: datetime | None
    rating: int | None
    # When SP4N-LAPOR!'s auto-close closed it (status's event), if it did.
    lapor_closed_at: datetime | None = None

    def token_matches(self, token: str | None) -> bool:
        return token is not None and hmac.compare_digest(hash_token(token), self.follow_up_token_hash)

    def check_visible(self, token: str | None) -> bool:
        """Whether the reporter's own view (with the description) is shown. Raises for private
        reports without the right token; public reports show their public part to anyone."""
        if self.token_matches(token):
            return True
        if not (self.privacy == "publik" and self.publicly_visible) or token is not None:
            raise not_found()
        return False

    def check_owner(self, token: str | None) -> None:
        if not self.token_matches(token):
            raise not_found()


def check_can_add_information(complaint: TrackedComplaint) -> None:
    if complaint.status in CLOSED_STATUSES:
        raise FollowUpError(
            "complaint-closed",
            Text(
                id="Laporan sudah ditutup; informasi tambahan tidak bisa dikirim. Jika masalah belum "
                    "selesai, ajukan pembukaan kembali.",
                en="The report is closed; no more information can be added. If the problem is not "
                    "solved, ask to reopen it.",
            ),
        )


def check_can_rate(complaint: TrackedComplaint) -> None:
    if complaint.status != "selesai":
        raise FollowUpError(
            "not-finished",
            Text(
                id="Penilaian hanya bisa diberikan setelah laporan selesai ditangani.",
                en="A rating can only be given once the report has been resolved.",
            ),
        )
    if complaint.rating is not None:
        raise FollowUpError(
            "already-rated",
            Text(
                id="Laporan ini sudah Anda nilai.",
                en="You have already rated this report.",
            ),
        )


def check_can_reopen(complaint: TrackedComplaint, *, now: datetime, window: timedelta) -> None:
    if complaint.status != "selesai":
        raise FollowUpError(
            "not-finished",
            Text(
                id="Hanya laporan yang sudah selesai yang bisa dibuka kembali.",
                en="Only a resolved report can be reopened.",
            ),
        )
    # SP4N-LAPOR!: the reporter may object until the complaint closes by itself, 10 working
    # days after the follow-up (status decides when); `window` only bounds it in calendar days.
    if complaint.lapor_closed_at is not None:
        raise FollowUpError(
            "lapor-closed",
            Text(
                id="Laporan sudah ditutup otomatis karena tidak ada tanggapan dalam masa tanggapan setelah "
                    "tindak lanjut, sehingga tidak bisa dibuka kembali. Jika masalah belum selesai, silakan "
                    "kirim laporan baru.",
                en="The report was closed automatically because nobody responded within the response window "
                    "after the follow-up, so it can no longer be reopened. If the problem is not solved, please "
                    "submit a new report.",
            ),
        )
    if complaint.status_changed_at is not None and now - complaint.status_changed_at > window:
        raise FollowUpError(
            "reopen-window-passed",
            Text(
                id=f"Batas waktu pembukaan kembali ({window.days} hari setelah selesai) sudah lewat; "
                    "silakan kirim laporan baru.",
                en=f"The reopen window ({window.days} days after resolution) has passed; "
                    "please submit a new report.",
            ),
        )


@dataclass(frozen=True, slots=True)
class ReopenWindow:
    """Whether the reporter may ask to reopen now, and the latest moment intake would accept it:
    `window` after the follow-up. SP4N-LAPOR!'s auto-close (status, in working days) normally
    ends the window earlier; intake does not know that date, only when it has happened."""

    can_reopen: bool
    until: datetime | None
    lapor_closed_at: datetime | None


def reopen_window(complaint: TrackedComplaint, *, now: datetime, window: timedelta) -> ReopenWindow:
    """What `check_can_reopen` would answer now, for the tracking view."""
    try:
        check_can_reopen(complaint, now=now, window=window)
        can_reopen = True
    except FollowUpError:
        can_reopen = False
    open_until = None
    if complaint.status == "selesai" and complaint.lapor_closed_at is None and complaint.status_changed_at is not None:
        open_until = complaint.status_changed_at + window
    return ReopenWindow(can_reopen=can_reopen, until=open_until, lapor_closed_at=complaint.lapor_closed_at)
