"""Intake's one table from domain errors to problem responses: the domain refuses with a
`DomainError` code and its text; only here does a code get its HTTP status and title. Installed
once as the app's handler for `DomainError`."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from sigap_intake.domain import IntakeError
from sigap_shared.errors import DomainError, Text
from sigap_shared.problems import Problem, problem_response

_PHOTO_TOO_LARGE = Text("Foto terlalu besar", "Photo too large")
_PHOTO_NOT_ACCEPTED = Text("Foto tidak dapat diterima", "Photo not accepted")
_TOKEN_NOT_ACCEPTED = Text("Token kamera tidak berlaku", "Capture token not accepted")
_FOLLOW_UP_NOT_POSSIBLE = Text("Tindak lanjut tidak dapat diproses", "Follow-up not possible")

PROBLEMS: dict[str, tuple[int, Text]] = {
    # complaints: the submission's own rules, and retries
    "validation-error": (422, Text("Data yang dikirim tidak valid", "The submitted data is not valid")),
    "idempotency-key-reused": (422, Text("Idempotency-Key sudah dipakai", "Idempotency-Key already used")),
    # photos/checks: the upload itself
    "unsupported-image-type": (415, Text("Jenis berkas tidak didukung", "Unsupported file type")),
    "empty-file": (422, _PHOTO_NOT_ACCEPTED),
    "photo-too-large": (413, _PHOTO_TOO_LARGE),
    "photo-too-many-pixels": (413, _PHOTO_TOO_LARGE),
    "corrupt-image": (422, _PHOTO_NOT_ACCEPTED),
    # photos: what the public may see
    "photo-not-found": (404, Text("Foto tidak ditemukan", "Photo not found")),
    # capture/tokens: the token it was taken with
    "capture-token-expired": (401, _TOKEN_NOT_ACCEPTED),
    "capture-token-invalid": (401, _TOKEN_NOT_ACCEPTED),
    "capture-token-used": (409, Text("Token kamera sudah dipakai", "Capture token already used")),
    # follow_up/rules: the reporter's follow-up
    "complaint-not-found": (404, Text("Laporan tidak ditemukan", "Report not found")),
    "complaint-closed": (409, _FOLLOW_UP_NOT_POSSIBLE),
    "not-finished": (409, _FOLLOW_UP_NOT_POSSIBLE),
    "already-rated": (409, _FOLLOW_UP_NOT_POSSIBLE),
    "reopen-window-passed": (409, _FOLLOW_UP_NOT_POSSIBLE),
    "lapor-closed": (409, Text("Laporan sudah ditutup", "The report is closed")),
    # privacy/rules: personal-data requests
    "privacy-request-not-found": (404, Text("Permintaan tidak ditemukan", "Request not found")),
    "privacy-role-refused": (403, Text("Tidak diizinkan", "Forbidden")),
    "privacy-request-closed": (409, Text("Permintaan sudah dijawab", "Request already answered")),
    "privacy-reason-required": (422, Text("Alasan wajib diisi", "A reason is required")),
    "privacy-correction-missing": (422, Text("Data perbaikan wajib diisi", "The correction is required")),
    "privacy-export-incomplete": (503, Text("Ekspor data belum dapat dibuat", "Export not possible now")),
    "personal-data-erased": (409, Text("Data pribadi sudah dihapus", "Personal data already erased")),
}


def _extensions(error: DomainError) -> dict[str, Any]:
    """A submission rule names the offending field, like a schema error does."""
    if not isinstance(error, IntakeError):
        return {}
    errors = [{"field": error.field, "in": "body", "message": error.message, "code": "rule"}]
    return {"errors": errors} | ({"reasons": error.codes} if error.codes else {})


def problem_for(error: DomainError) -> Problem:
    status, title = PROBLEMS[error.code]
    return Problem(status=status, slug=error.code, title=title, detail=error.message, **_extensions(error))


async def _on_domain_error(request: Request, error: DomainError) -> JSONResponse:
    return problem_response(request, problem_for(error))


def install_domain_errors(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _on_domain_error)  # type: ignore[arg-type]
