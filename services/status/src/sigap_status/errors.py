"""Status's one table from domain errors to problem responses. Features refuse with a
`StatusError` (a `code` naming the rule, a `Text` saying why, and the facts a client needs as
`extensions`); only here does a code get its HTTP status and title, and the handler installed
by `install_error_handler` answers every one of them the same way."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from sigap_shared.errors import DomainError, Text
from sigap_shared.problems import INVALID_INPUT_TITLE, Problem, problem_response

_FORBIDDEN = Text("Tidak berwenang", "Not permitted")

PROBLEMS: dict[str, tuple[int, Text]] = {
    "validation-error": (422, INVALID_INPUT_TITLE),
    "forbidden": (403, _FORBIDDEN),
    # complaints and their lifecycle
    "complaint-not-found": (404, Text("Pengaduan tidak ditemukan", "Complaint not found")),
    "stale-version": (409, Text("Pengaduan sudah berubah", "The complaint has changed")),
    "illegal-transition": (409, Text("Perubahan status tidak diizinkan", "Status change not allowed")),
    "no-running-deadline": (409, Text("Tenggat tidak bisa diubah", "The deadline cannot be changed")),
    "after-photo-not-live": (422, Text("Foto sesudah penanganan tidak diterima", "After-photos not accepted")),
    "after-photo-unknown": (422, Text("Foto sesudah penanganan tidak dikenal", "Unknown after-photo")),
    "after-photo-in-use": (409, Text("Foto sudah dipakai", "Photo already in use")),
    "lapor-action-refused": (409, Text("Tindakan LAPOR! tidak diizinkan", "LAPOR! action not allowed")),
    "lapor-closed": (409, Text("Pengaduan sudah ditutup", "The complaint is closed")),
    "complaint-unknown-at-intake": (
        409,
        Text("Pengaduan belum dikenal layanan foto", "The photo service does not know this complaint"),
    ),
    # what intake keeps: photos and identities
    "intake-unavailable": (503, Text("Layanan pengaduan (intake) tidak tersedia", "The intake service is unavailable")),
    "identity-not-found": (404, Text("Identitas pelapor tidak ditemukan", "Reporter identity not found")),
    "photo-not-found": (404, Text("Foto tidak ditemukan", "Photo not found")),
    # personal-data requests, kept at intake
    "privacy-request-not-found": (404, Text("Permintaan tidak ditemukan", "Request not found")),
    "privacy-request-refused": (409, Text("Permintaan tidak dapat diproses", "Request cannot be processed")),
    # staff sessions
    "invalid-credentials": (401, Text("Login gagal", "Login failed")),
    "invalid-refresh-token": (401, Text("Sesi tidak berlaku", "Session is not valid")),
    "too-many-login-attempts": (429, Text("Terlalu banyak percobaan login", "Too many login attempts")),
    # staff accounts
    "staff-not-found": (404, Text("Akun petugas tidak ditemukan", "Staff account not found")),
    "staff-account-not-found": (404, Text("Akun petugas tidak ditemukan", "Staff account not found")),
    "username-taken": (409, Text("Nama pengguna sudah dipakai", "Username taken")),
    "staff-account-inactive": (409, Text("Akun tidak aktif", "Account not active")),
    "own-account": (409, Text("Tidak dapat menonaktifkan akun sendiri", "Cannot deactivate own account")),
}


class StatusError(DomainError):
    """A refusal of one of status's rules. `extensions` are extra members of the problem
    body (e.g. the current version); `retry_after_s`, when set, says when trying again helps."""

    extensions: dict[str, Any] = {}
    retry_after_s: int | None = None


class InvalidInput(StatusError):
    """One field of the request cannot be accepted; answered like a failed validation."""

    def __init__(self, field: str, message: Text, *, location: str = "body", detail: Text | None = None) -> None:
        super().__init__("validation-error", detail or message)
        self.field = field
        self.extensions = {"errors": [{"field": field, "in": location, "message": message}]}


class Forbidden(StatusError):
    """The caller may see this, but not do it."""

    def __init__(self, message: Text, code: str = "forbidden") -> None:
        super().__init__(code, message)


class ComplaintNotFound(StatusError):
    """Unknown, or one this caller may not see (the same answer, so nothing leaks)."""

    def __init__(self, complaint_id: object) -> None:
        super().__init__(
            "complaint-not-found",
            Text(
                f"Tidak ada pengaduan dengan id {complaint_id} (atau belum sampai ke layanan status).",
                f"No complaint with id {complaint_id} (or it has not reached the status service yet).",
            ),
        )


def problem_for(error: DomainError) -> Problem:
    status, title = PROBLEMS[error.code]
    retry_after_s = getattr(error, "retry_after_s", None)
    return Problem(
        status=status,
        slug=error.code,
        title=title,
        detail=error.message,
        headers={"Retry-After": str(retry_after_s)} if retry_after_s is not None else None,
        **getattr(error, "extensions", {}),
    )


async def _answer(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, DomainError)
    return problem_response(request, problem_for(error))


def install_error_handler(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _answer)
