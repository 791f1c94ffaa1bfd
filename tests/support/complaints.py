"""Complaints as a citizen's phone posts them to intake (`POST /v1/complaints`): a public report
of a dead street lamp or traffic light in Depok, with the fields a test is about given by keyword."""

from __future__ import annotations

from typing import Any

# Simpang Margonda - Juanda, the city's busiest crossing.
MARGONDA_JUANDA = (-6.3712, 106.8321)


def place(lat: float, lon: float, address: str | None = None) -> dict[str, Any]:
    """A report's location as the form sends it."""
    return {"lat": lat, "lon": lon} | ({"address": address} if address else {})


def lamp_complaint(**fields: Any) -> dict[str, Any]:
    """A dead street lamp on Jl. Nusantara Raya, reported publicly by Siti with phone and email."""
    body = {
        "kind": "pengaduan",
        "title": "Lampu jalan mati",
        "description": "Lampu PJU di Jl. Nusantara Raya mati semua sejak 3 hari, gelap banget gan kalau malam",
        "category": "lampu_jalan",
        "location": place(-6.3925, 106.8226, "Jl. Nusantara Raya, Depok Jaya"),
        "privacy": "publik",
        "reporter": {"name": "Siti Rahmawati", "phone": "0812-3456-7890", "email": "siti.rahma@example.com"},
    }
    return body | fields


def traffic_light_complaint(**fields: Any) -> dict[str, Any]:
    """A dead traffic light at Simpang Margonda - Juanda, otherwise as `lamp_complaint`."""
    crossing = {"location": place(*MARGONDA_JUANDA, "Simpang Margonda - Juanda"), "category": "lampu_lalu_lintas"}
    return lamp_complaint(title="Lampu lalu lintas mati", **crossing) | fields
