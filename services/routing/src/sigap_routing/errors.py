"""Routing's one table from domain errors to problem responses: the domain refuses with a
`DomainError` code and its text; only here does a code get its HTTP status, problem type and
title."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from sigap_shared.errors import DomainError, Text
from sigap_shared.problems import Problem, problem_response

_FORBIDDEN = Text("Tidak diizinkan", "Forbidden")

# code -> (HTTP status, problem type slug, title)
PROBLEMS: dict[str, tuple[int, str, Text]] = {
    # decisions: who may see a complaint's routing
    "decision-not-found": (404, "not-found", Text("Keputusan routing tidak ditemukan", "Routing decision not found")),
    # delegation: transfer and joint handling
    "complaint-not-routed": (404, "not-found", Text("Pengaduan belum dirouting", "Complaint not routed yet")),
    "delegation-forbidden": (403, "forbidden", _FORBIDDEN),
    "delegation-conflict": (409, "delegation-conflict", Text("Tidak dapat dilakukan", "Cannot be done")),
    "unknown-department": (422, "unknown-department", Text("Dinas tidak dikenal", "Unknown department")),
    "unknown-category": (422, "unknown-category", Text("Kategori tidak dikenal", "Unknown category")),
    # taxonomy: the city admin's edits
    "taxonomy-version-not-found": (
        404,
        "not-found",
        Text("Versi taksonomi tidak ditemukan", "Taxonomy version not found"),
    ),
    "invalid-taxonomy": (
        422,
        "invalid-taxonomy",
        Text("Taksonomi tidak sesuai dengan wilayah kota", "The taxonomy does not fit the city"),
    ),
    "taxonomy-conflict": (
        409,
        "taxonomy-conflict",
        Text("Taksonomi sedang diubah oleh admin lain", "Another admin is changing the taxonomy"),
    ),
}


def problem_for(error: DomainError) -> Problem:
    status, slug, title = PROBLEMS[error.code]
    return Problem(status=status, slug=slug, title=title, detail=error.message)


async def _on_domain_error(request: Request, error: DomainError) -> JSONResponse:
    return problem_response(request, problem_for(error))


def install_domain_errors(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _on_domain_error)  # type: ignore[arg-type]
