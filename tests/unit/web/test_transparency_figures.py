"""The transparency pages' pure shaping: counts land on the right kelurahan outline (also when
two kelurahan share a name), unknown names are counted apart, and per-department performance
adds up status's monthly compliance."""

from __future__ import annotations

import json

from sigap_web.transparency import figures


def _square(code: str, name: str, kecamatan: str, lon: float, lat: float) -> dict:
    ring = [[lon, lat], [lon + 0.02, lat], [lon + 0.02, lat + 0.02], [lon, lat + 0.02], [lon, lat]]
    return {
        "type": "Feature",
        "properties": {"code": code, "name": name, "kecamatan": kecamatan},
        "geometry": {"type": "MultiPolygon", "coordinates": [[ring]]},
    }


GEOJSON = json.dumps(
    {
        "type": "FeatureCollection",
        "features": [
            _square("32.76.02.1008", "Curug", "Cimanggis", 106.86, -6.38),
            _square("32.76.11.1005", "Curug", "Bojongsari", 106.72, -6.42),
            _square("32.76.01.1006", "Depok", "Pancoran Mas", 106.81, -6.41),
        ],
    }
).encode()


def test_cells_go_to_the_nearest_kelurahan_of_their_name():
    outlines = figures.kelurahan_outlines(GEOJSON)
    assert [(k.code, round(k.lat, 2), round(k.lon, 2)) for k in outlines] == [
        ("32.76.02.1008", -6.37, 106.87),
        ("32.76.11.1005", -6.41, 106.73),
        ("32.76.01.1006", -6.4, 106.82),
    ]
    counts = figures.place_cells(
        [
            {"kelurahan": "Curug", "lat": -6.36, "lon": 106.88, "status": "diterima", "count": 2},
            {"kelurahan": "Curug", "lat": -6.42, "lon": 106.74, "status": "selesai", "count": 5},
            {"kelurahan": "depok", "lat": -6.40, "lon": 106.82, "status": "diterima", "count": 1},
            {"kelurahan": "Depok", "lat": -6.40, "lon": 106.82, "status": "selesai", "count": 3},
            {"kelurahan": "Tidak Ada", "lat": -6.40, "lon": 106.82, "status": "diterima", "count": 4},
            {"kelurahan": None, "lat": None, "lon": None, "status": "diterima", "count": 6},
        ],
        outlines,
    )
    assert counts.by_code == {
        "32.76.02.1008": {"diterima": 2},
        "32.76.11.1005": {"selesai": 5},
        "32.76.01.1006": {"diterima": 1, "selesai": 3},
    }
    assert counts.unplaced == {"diterima": 10} and counts.unplaced_total == 10
    rows = figures.area_rows(counts, outlines)
    assert [(row["name"], row["kecamatan"], row["total"]) for row in rows] == [
        ("Curug", "Bojongsari", 5),
        ("Depok", "Pancoran Mas", 4),
        ("Curug", "Cimanggis", 2),
    ]


def test_performance_sums_months_and_turns_hours_into_days():
    rows = figures.performance(
        durations=[
            {"department": "DISHUB", "finished": 3, "finish_p50_hours": 60.0},
            {"department": "DPUPR", "finished": 0, "finish_p50_hours": None},
        ],
        compliance=[
            {"department": "DISHUB", "month": "2026-10", "received": 4, "within_sla": 3},
            {"department": "DISHUB", "month": "2026-11", "received": 6, "within_sla": 6},
            {"department": "DPUPR", "month": "2026-11", "received": 12, "within_sla": 6},
        ],
    )
    assert [(r.department, r.received, r.within_sla, r.finished, r.median_days_to_finish) for r in rows] == [
        ("DPUPR", 12, 6, 0, None),
        ("DISHUB", 10, 9, 3, 2.5),
    ]
    assert rows[0].sla_rate == 0.5 and rows[1].sla_rate == 0.9


def test_status_mix_follows_the_lifecycle():
    mix = figures.status_mix(
        [
            {"department": "A", "status": "selesai", "category": "x", "count": 2},
            {"department": "B", "status": "diterima", "category": "y", "count": 1},
            {"department": "A", "status": "selesai", "category": "y", "count": 3},
        ]
    )
    assert list(mix.items()) == [("diterima", 1), ("selesai", 5)]


def test_performance_carries_breaches_escalations_and_days_overdue():
    rows = figures.performance(
        durations=[{"department": "DISHUB", "finished": 3, "finish_p50_hours": 60.0}],
        compliance=[{"department": "DISHUB", "month": "2026-11", "received": 4, "within_sla": 2}],
        escalation=[
            {"department": "DISHUB", "breaches": 2, "escalations": 3, "escalated_complaints": 2, "median_days_overdue": 4.5},
            {"department": "DLHK", "breaches": 1, "escalations": 1, "escalated_complaints": 1, "median_days_overdue": None},
        ],
    )
    assert [(r.department, r.breaches, r.escalations, r.median_days_overdue) for r in rows] == [
        ("DISHUB", 2, 3, 4.5),
        ("DLHK", 1, 1, None),
    ]
    plain = figures.performance(durations=[], compliance=[{"department": "DISHUB", "month": "2026-11", "received": 1, "within_sla": 1}])
    assert (plain[0].breaches, plain[0].escalations, plain[0].median_days_overdue) == (0, 0, None)
