"""The staff pages' pure shaping of escalation and photo evidence (issues 15 and 14): figures
per ladder step, the timeline's escalation entries and the queue's marks in words, and each
photo's evidence block, which links an earlier complaint only when status says the viewer may
see it; a photo from before a check existed (fields missing) still shapes."""

from __future__ import annotations

import uuid

from sigap_web.dashboard.complaint import _timeline
from sigap_web.dashboard.evidence import photo_evidence
from sigap_web.dashboard.queue import _rows
from sigap_web.i18n import Catalogues
from sigap_web.transparency import figures
from sigap_web.transparency.pages import escalated_now

CATALOGUES = Catalogues()
T_ID, T_EN = CATALOGUES["id"], CATALOGUES["en"]


def test_escalation_figures_per_ladder_step_in_ladder_order():
    steps, rows = figures.escalation(
        [
            {
                "department": "DLHK", "breaches": 1, "escalations": 1, "escalated_complaints": 1,
                "median_days_overdue": None, "steps": [{"step": "head_of_department", "step_number": 1, "escalations": 1}],
            },
            {
                "department": "DISHUB", "breaches": 3, "escalations": 5, "escalated_complaints": 3,
                "median_days_overdue": 4.5,
                "steps": [
                    {"step": "city", "step_number": 2, "escalations": 2},
                    {"step": "head_of_department", "step_number": 1, "escalations": 3},
                ],
            },
            # From a status without per-step figures, and a complaint no department holds.
            {"department": "DPUPR", "breaches": 1, "escalations": 0, "escalated_complaints": 0, "median_days_overdue": 1.0},
            {"department": "", "breaches": 9},
        ]
    )  # fmt: skip
    assert steps == ["head_of_department", "city"]
    assert [(r.department, r.breaches, r.per_step) for r in rows] == [
        ("DISHUB", 3, {"head_of_department": 3, "city": 2}),
        ("DLHK", 1, {"head_of_department": 1}),
        ("DPUPR", 1, {}),
    ]
    assert rows[0].median_days_overdue == 4.5


def test_the_timeline_says_who_an_escalation_step_told_and_how_late():
    entries = [
        {
            "type": "sigap.complaint.sla_breached.v1", "at": "2026-12-01T01:00:00+00:00", "actor": "system",
            "detail": {"stage": "verify", "due_at": "2026-11-30T17:00:00+00:00", "escalate_to": ["dept_admin", "city_admin"]},
        },
        {
            "type": "sigap.complaint.escalated.v1", "at": "2026-12-04T01:00:00+00:00", "actor": "system",
            "detail": {"step": "city", "step_number": 2, "stage": "verify", "due_at": "2026-11-30T17:00:00+00:00",
                       "working_days_overdue": 3},
        },
        {"type": "sigap.complaint.escalated.v1", "at": "2026-12-04T01:00:00+00:00", "actor": "system", "detail": None},
    ]  # fmt: skip
    breach, city, bare = _timeline(T_ID, entries)
    assert breach["escalation"] and city["escalation"] and bare["escalation"]
    assert breach["what"] == "Tenggat terlewati" and city["what"] == "Dieskalasi"
    assert ("peran yang diberi tahu", "Admin dinas, Admin kota") in breach["lines"]
    assert ("diberitahukan kepada", "Tingkat kota (Pemerintah Kota Depok) (langkah 2 tangga eskalasi)") in city["lines"]
    assert ("tahap yang terlambat", "verifikasi") in city["lines"]
    assert ("tenggat", "30/11/2026") in city["lines"]  # the deadline's last day, in WIB
    assert ("hari kerja terlambat", 3) in city["lines"]
    assert city["at"] == "04/12/2026 08:00 WIB"
    assert bare["lines"] == []
    [_, english, _] = _timeline(T_EN, entries)
    assert ("told", "City level (Kota Depok government) (step 2 of the escalation ladder)") in english["lines"]


def test_the_queue_marks_overdue_and_escalated_complaints():
    late = {
        "id": str(uuid.uuid4()), "status": "diterima", "sla_state": "breached", "sla_due_at": "2026-11-30T17:00:00+00:00",
        "sla_working_days_left": -4, "escalation_steps": ["head_of_department", "city"], "department": "DISHUB",
    }
    on_time = {**late, "sla_state": "on_track", "sla_working_days_left": 3, "escalation_steps": []}
    old_status = {key: value for key, value in on_time.items() if key != "escalation_steps"}
    rows = _rows(T_ID, {"items": [late, on_time, old_status]}, {"DISHUB": "Dinas Perhubungan"})
    assert (rows[0]["sla_tone"], rows[0]["escalated_to"]) == ("late", "Tingkat kota (Pemerintah Kota Depok)")
    assert rows[1]["escalated_to"] is None and rows[2]["escalated_to"] is None


def _reused(*, visible: bool) -> dict:
    earlier = str(uuid.uuid4())
    return {
        "photo_id": str(uuid.uuid4()), "role": "evidence", "verdict": "suspicious",
        "reasons": [{"code": "reused_photo", "message": "Foto ini sangat mirip ..."}, {"code": "new_check", "message": "Pesan baru"}],
        "location_compared": True, "location_distance_m": 12, "content_credentials": None,
        "matches": [
            {
                "strength": "strong", "confidence": 0.0, "checks": ["phash"], "figures": {}, "message": "...",
                "earlier_complaint_visible": visible, "earlier_complaint_id": earlier if visible else None,
            }
        ],
    }  # fmt: skip


def test_a_reused_photo_links_the_earlier_complaint_only_when_the_viewer_may_see_it():
    shown = photo_evidence(T_ID, _reused(visible=True))
    assert (shown["verdict"], shown["verdict_text"]) == ("suspicious", "Meragukan")
    assert [r["text"] for r in shown["reasons"]] == [
        "Foto ini salinan foto yang sudah pernah dikirim sebelumnya.",
        "Pesan baru",  # a reason the page has no words for: status's message
    ]
    assert "Lokasi foto: 12 m dari lokasi yang dilaporkan" in shown["checked"]
    [match] = shown["matches"]
    assert match["link"] and match["link"].startswith("/dasbor/pengaduan/")
    assert match["confidence"] == "tidak diukur (hanya sidik gambar)"
    assert match["checks"] == ["sidik gambar (perceptual hash)"]
    hidden = photo_evidence(T_ID, _reused(visible=False))
    assert hidden["matches"][0]["link"] is None

    confirmed = _reused(visible=True)
    confirmed["matches"][0].update(confidence=0.87, checks=["dihedral_view_hashes", "orb_ransac"])
    [match] = photo_evidence(T_EN, confirmed)["matches"]
    assert match["confidence"] == "87%" and match["label"] == "Copy of another photo (confirmed)"
    assert match["checks"][-1] == "feature point matching (ORB + RANSAC)"


def test_a_photo_from_before_the_checks_still_shapes():
    old = photo_evidence(T_ID, {"photo_id": str(uuid.uuid4())})
    assert old["verdict"] == "unknown" and old["verdict_text"] == "Belum diperiksa"
    assert old["reasons"] == [] and old["matches"] == []
    assert "Lokasi foto tidak dibandingkan (foto atau laporan tanpa posisi)" in old["checked"]
    odd = photo_evidence(T_ID, {"verdict": "rejected", "reasons": ["teks"], "matches": [None, {}],
                                "content_credentials": {"state": "trusted"}})  # fmt: skip
    assert odd["reasons"] == [{"code": "", "text": "teks"}] and len(odd["matches"]) == 1
    assert odd["matches"][0]["link"] is None
    assert "Tanda tangan Content Credentials (C2PA): sah dan tepercaya" in odd["checked"]


def test_the_escalated_now_list_shows_every_department_it_got_and_counts_them_all():
    def item(department: str) -> dict:
        return {
            "id": str(uuid.uuid4()), "tracking_code": "SGP-" + department, "department": department, "status": "diterima",
            "working_days_overdue": 2, "steps": [{"step": "head_of_department", "escalated_at": "2026-12-01T01:00:00+00:00"}],
        }  # fmt: skip

    # Status's page: departments taking turns, each one's longest breached first.
    dishub_1, dlhk_1, dishub_2 = item("DISHUB"), item("DLHK"), item("DISHUB")
    answer = {
        "department": None, "total": 7, "offset": 0, "items": [dishub_1, dlhk_1, dishub_2],
        "by_department": [{"department": "DISHUB", "complaints": 5}, {"department": "DLHK", "complaints": 2}],
    }  # fmt: skip
    names = {"DISHUB": "Dinas Perhubungan", "DLHK": "Dinas Lingkungan Hidup"}
    shaped = escalated_now(T_ID, answer, names)
    assert [row["id"] for row in shaped["rows"]] == [dlhk_1["id"], dishub_1["id"], dishub_2["id"]]
    assert (shaped["shown"], shaped["total"]) == (3, 7)
    assert shaped["by_department"] == [
        {"department": "DISHUB", "name": "Dinas Perhubungan", "complaints": 5},
        {"department": "DLHK", "name": "Dinas Lingkungan Hidup", "complaints": 2},
    ]
    assert T_ID("escalation.now_count", shown=3, total=7).startswith("Menampilkan 3 dari 7 ")
    assert T_EN("escalation.now_count", shown=3, total=7).startswith("Showing 3 of 7 ")
