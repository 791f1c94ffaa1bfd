"""Pure routing rules for the walking skeleton: the citizen's category decides the department
through the city's category table; no category or an unknown one goes to the triage desk.
(The classifier for free text arrives with the routing issue.)"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sigap_shared.events import TRIAGE_DESK, ComplaintRouted, ComplaintSubmitted, Envelope

SOURCE = "sigap/routing"

# Kota Depok's default owners per category; department codes follow the city's Perangkat Daerah.
DEFAULT_CATEGORY_OWNERS: dict[str, str] = {
    "jalan_rusak": "DPUPR",
    "drainase": "DPUPR",
    "jembatan": "DPUPR",
    "trotoar": "DPUPR",
    "sampah": "DLHK",
    "pencemaran": "DLHK",
    "taman": "DLHK",
    "pemangkasan_pohon": "DLHK",
    "lalu_lintas": "DISHUB",
    "lampu_jalan": "DISHUB",
    "parkir": "DISHUB",
    "lampu_lalu_lintas": "DISHUB",
    "rambu": "DISHUB",
    "halte": "DISHUB",
    "pedagang_kaki_lima": "SATPOLPP",
    "bangunan_liar": "SATPOLPP",
    "reklame_liar": "SATPOLPP",
    "ketertiban_umum": "SATPOLPP",
    "kebakaran": "DAMKAR",
    "pohon_tumbang": "DAMKAR",
    "penyelamatan": "DAMKAR",
    "ktp": "DISDUKCAPIL",
    "kartu_keluarga": "DISDUKCAPIL",
    "akta": "DISDUKCAPIL",
    "layanan_kesehatan": "DINKES",
    "puskesmas": "DINKES",
    "demam_berdarah": "DINKES",
    "sekolah": "DISDIK",
    "ppdb": "DISDIK",
    "biaya_sekolah": "DISDIK",
    "bantuan_sosial": "DINSOS",
    "orang_terlantar": "DINSOS",
    "perizinan": "DPMPTSP",
    "ketenagakerjaan": "DISNAKER",
    "layanan_digital": "DISKOMINFO",
    "wifi_publik": "DISKOMINFO",
    "ketahanan_pangan": "DKPPP",
    "kesehatan_hewan": "DKPPP",
    "pasar": "DISPERDAGIN",
    "perumahan": "DISRUMKIM",
    "pelanggaran_aparatur": "INSPEKTORAT",
    "air_bersih": "PDAM",
}


@dataclass(frozen=True, slots=True)
class RoutingDecision:
    department: str
    category: str | None
    confidence: float
    needs_triage: bool
    reasons: tuple[str, ...]


def decide(*, category: str | None, owners: dict[str, str] = DEFAULT_CATEGORY_OWNERS) -> RoutingDecision:
    if category is None:
        return RoutingDecision(
            department=TRIAGE_DESK,
            category=None,
            confidence=0.0,
            needs_triage=True,
            reasons=("no category given: sent to the triage desk",),
        )
    department = owners.get(category)
    if department is None:
        return RoutingDecision(
            department=TRIAGE_DESK,
            category=category,
            confidence=0.0,
            needs_triage=True,
            reasons=(f"category '{category}' has no owner in the city's table: sent to the triage desk",),
        )
    return RoutingDecision(
        department=department,
        category=category,
        confidence=1.0,
        needs_triage=False,
        reasons=(f"category '{category}' is owned by {department}",),
    )


def routed_event(submitted: Envelope, decision: RoutingDecision, *, now: datetime) -> Envelope:
    data = submitted.data
    assert isinstance(data, ComplaintSubmitted)
    return Envelope(
        source=SOURCE,
        correlation_id=submitted.correlation_id,
        data=ComplaintRouted(
            complaint_id=data.complaint_id,
            tracking_code=data.tracking_code,
            department=decision.department,
            category=decision.category,
            confidence=decision.confidence,
            needs_triage=decision.needs_triage,
            reasons=decision.reasons,
            reporter=data.reporter,
            routed_at=now,
        ),
    )
