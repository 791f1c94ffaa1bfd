"""Pure routing rules: from the citizen's category, the description and the location to a
department, a category, a confidence and the reasons staff see.

Scoring is explainable by construction. Every keyword of the taxonomy found in the stemmed
text adds its weight to its category; the citizen's own category starts with a head start
(`citizen_category_weight`), and the text overrides it only when it scores `override_ratio`
times as much; in between, it is a case for the triage desk. The
best category is compared with the best category of any *other* owner:

    confidence = top² / (top² + runner_up²) × (1 − e^(−top / saturation))

so agreement and amount of evidence both count. Below `min_confidence`, when another owner
scores at least `conflict_ratio` of the best (both configurable in the taxonomy), with no
evidence at all, for an area-level category without a usable location, or for a location
outside Kota Depok, the complaint goes to the triage desk instead of a guess. A two-word phrase
also counts (a little less) with a word or two between its words.

Why `decide` is long: it is one pass from the inputs to an explained decision, each step adding
the reason staff read; split into parts, the reasons would scatter."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

from sigap_routing.geography import Area, place_fields
from sigap_routing.taxonomy import CompiledTaxonomy, Keyword, compile_taxonomy, load_default_document
from sigap_routing.text import AT, NORMALISER_VERSION, stem, stems
from sigap_shared.events import TRIAGE_DESK, ComplaintRouted, ComplaintSubmitted, Envelope

SOURCE = "sigap/routing"
CLASSIFIER_VERSION = f"rules-2/{NORMALISER_VERSION}"


@dataclass(frozen=True, slots=True)
class RoutingDecision:
    department: str
    category: str | None
    confidence: float
    needs_triage: bool
    reasons: tuple[str, ...]  # Bahasa Indonesia: what staff read, and what the event carries
    reasons_en: tuple[str, ...] = ()
    area: Area | None = None  # None: the complaint had no location
    suggested_department: str | None = None  # the best guess, also when sent to triage
    taxonomy_version: int | None = None
    classifier_version: str = CLASSIFIER_VERSION
    scores: dict[str, float] = field(default_factory=dict)


@lru_cache(maxsize=1)
def default_taxonomy() -> CompiledTaxonomy:
    """Kota Depok's shipped taxonomy, compiled once (for callers without a database)."""
    return compile_taxonomy(load_default_document(), version=0)


# Words after which a keyword is not the problem itself. A landmark: in "lubang di depan SDN 1"
# the school only says where, and in "pengemis di lampu merah" the traffic light is a place. What
# the problem covers or blocks: in "ranting nutupin lampu jalan" the lamp is fine.
LANDMARK_WORDS = {
    **dict.fromkeys(
        ("depan", "dekat", "samping", "seberang", "belakang", "sebelah", "sekitar", "arah", "menuju"), 0.25
    ),
    AT: 0.5,
    **dict.fromkeys(("tutup", "halang"), 0.5),
}
# A two-word phrase still counts, a little less, with up to this many words between its two
# words ("pohon beringin tua roboh" for "pohon roboh").
PHRASE_GAP = 2
GAP_FACTOR = 0.75


@lru_cache(maxsize=1)
def _landmark_stems() -> dict[str, float]:
    # compared with stems: Sastrawi turns "sebelah" into "belah"
    return {word if word == AT else stem(word): factor for word, factor in LANDMARK_WORDS.items()}


@dataclass(frozen=True, slots=True)
class Match:
    keyword: Keyword
    weight: float
    landmark: bool


def find_keywords(text_stems: list[str], taxonomy: CompiledTaxonomy) -> list[Match]:
    """Keywords present in the text. At each position the longest phrase wins; a keyword
    counts once however often it is repeated (at its heaviest); a keyword right after a
    landmark marker ("di", "depan", "dekat", ...) counts only a fraction of its weight."""
    landmarks = _landmark_stems()
    found: dict[tuple[str, tuple[str, ...]], Match] = {}

    def count(keyword: Keyword, weight: float, landmark: bool) -> None:
        key = (keyword.category, keyword.stems)
        if key not in found or found[key].weight < weight:
            found[key] = Match(keyword=keyword, weight=weight, landmark=landmark)

    covered_until = 0  # a match inside a longer one ("lalu lintas" in "lampu lalu lintas") is not counted
    for position, first in enumerate(text_stems):
        keywords = taxonomy.by_first_stem.get(first)
        if keywords is None:  # most words start no keyword
            continue
        longest = 0
        factor = min((landmarks.get(word, 1.0) for word in text_stems[max(0, position - 2) : position]), default=1.0)
        for keyword in keywords:
            size = len(keyword.stems)
            if size < longest or position + size <= covered_until:
                break
            if tuple(text_stems[position : position + size]) == keyword.stems:
                longest = size
                if keyword.category:  # not a neutral phrase such as the place name "Kampung Sawah"
                    count(keyword, keyword.weight * factor, factor < 1.0)
            elif (
                size == 2
                and keyword.category
                and keyword.stems[1] in text_stems[position + 2 : position + 2 + PHRASE_GAP]
            ):
                count(keyword, keyword.weight * factor * GAP_FACTOR, factor < 1.0)
        covered_until = max(covered_until, position + longest)
    return list(found.values())


def _owner_key(taxonomy: CompiledTaxonomy, category: str) -> str:
    doc = taxonomy.categories[category]
    return doc.department if doc.scope == "department" else f"@{doc.scope}"


def _owner_label(taxonomy: CompiledTaxonomy, category: str) -> str:
    doc = taxonomy.categories[category]
    return {"kelurahan": "kantor kelurahan", "kecamatan": "kantor kecamatan"}.get(doc.scope, doc.department or "")


def decide(
    *,
    category: str | None,
    description: str = "",
    area: Area | None = None,
    taxonomy: CompiledTaxonomy | None = None,
) -> RoutingDecision:
    taxonomy = taxonomy or default_taxonomy()
    settings = taxonomy.settings
    reasons: list[tuple[str, str]] = []

    text_stems = stems(description)
    corrected = [taxonomy.correct_typo(word) for word in text_stems]
    if corrected != text_stems:  # most complaints have no typo in a keyword
        for typo, word in sorted(
            {(typo, word) for typo, word in zip(text_stems, corrected, strict=True) if typo != word}
        ):
            reasons.append((f"ejaan '{typo}' dibaca '{word}'", f"the spelling '{typo}' read as '{word}'"))

    scores: dict[str, float] = {}
    evidence: dict[str, list[str]] = {}
    for match in find_keywords(corrected, taxonomy):
        category_code = match.keyword.category
        scores[category_code] = scores.get(category_code, 0.0) + match.weight
        label = f"'{match.keyword.phrase}'" + (" (penanda lokasi)" if match.landmark else "")
        evidence.setdefault(category_code, []).append(label)

    citizen = category if category in taxonomy.categories else None
    if category is not None and citizen is None:
        reasons.append(
            (
                f"kategori pelapor '{category}' tidak ada di taksonomi: diabaikan",
                f"the reporter's category '{category}' is not in the taxonomy: ignored",
            )
        )
    if citizen is not None:
        scores[citizen] = scores.get(citizen, 0.0) + settings.citizen_category_weight

    def decision(
        department: str, best: str | None, confidence: float, suggested: str | None, *, needs_triage: bool
    ) -> RoutingDecision:
        return RoutingDecision(
            department=department,
            category=best,
            confidence=round(confidence, 3),
            needs_triage=needs_triage,
            reasons=tuple(r[0] for r in reasons),
            reasons_en=tuple(r[1] for r in reasons),
            area=area,
            suggested_department=suggested,
            taxonomy_version=taxonomy.version,
            scores=scores,
        )

    def triage(best: str | None, confidence: float, suggested: str | None) -> RoutingDecision:
        return decision(TRIAGE_DESK, best, confidence, suggested, needs_triage=True)

    if not scores:
        reasons.append(
            (
                "tidak ada kategori dan tidak ada kata kunci yang dikenali: dikirim ke meja triase",
                "no category given and no known keyword found: sent to the triage desk",
            )
        )
        return triage(None, 0.0, None)

    ranked = sorted(scores, key=lambda code: (-scores[code], code != citizen, code))
    best = ranked[0]
    best_owner = _owner_key(taxonomy, best)
    runner_up = next((code for code in ranked[1:] if _owner_key(taxonomy, code) != best_owner), None)
    top = scores[best]
    second = scores[runner_up] if runner_up else 0.0
    confidence = top**2 / (top**2 + second**2) * (1 - math.exp(-top / settings.saturation))

    if citizen is not None:
        reasons.append(
            (
                f"kategori pilihan pelapor '{citizen}' (+{settings.citizen_category_weight:g})",
                f"the reporter chose category '{citizen}' (+{settings.citizen_category_weight:g})",
            )
        )
    for code in ranked[:3]:
        if code in evidence:
            words = ", ".join(evidence[code])
            reasons.append(
                (
                    f"kata kunci {words} → kategori '{code}' ({_owner_label(taxonomy, code)})",
                    f"keywords {words} → category '{code}' ({_owner_label(taxonomy, code)})",
                )
            )
    overriding = citizen is not None and best != citizen and _owner_key(taxonomy, citizen) != best_owner
    if overriding and top < settings.override_ratio * scores[citizen]:
        reasons.append(
            (
                f"teks menunjuk '{best}' (skor {top:g}), tetapi kurang jelas untuk mengesampingkan kategori"
                f" pelapor '{citizen}' (skor {scores[citizen]:g}; perlu ≥ {settings.override_ratio:g}×):"
                " dikirim ke meja triase",
                f"the text points to '{best}' (score {top:g}), not clearly enough to override the reporter's"
                f" '{citizen}' (score {scores[citizen]:g}; needs ≥ {settings.override_ratio:g}×):"
                " sent to the triage desk",
            )
        )
        return triage(best, min(confidence, settings.min_confidence), taxonomy.categories[best].department)
    if overriding:
        reasons.append(
            (
                f"teks jelas menunjuk '{best}' (skor {top:g}) melebihi kategori pelapor '{citizen}'"
                f" (skor {scores[citizen]:g})",
                f"the text clearly points to '{best}' (score {top:g}) over the reporter's '{citizen}'"
                f" (score {scores[citizen]:g})",
            )
        )

    suggested = taxonomy.categories[best].department
    if area is not None and not area.inside_city:
        reasons.append(
            (
                "lokasi di luar wilayah Kota Depok: perlu diperiksa petugas triase",
                "the location is outside Kota Depok: a triage officer must check it",
            )
        )
        return triage(best, confidence, suggested)

    scope = taxonomy.categories[best].scope
    if scope != "department":
        if area is None or area.kelurahan is None:
            reasons.append(
                (
                    f"urusan tingkat {scope}, tetapi lokasi tidak diketahui",
                    f"a {scope}-level matter, but the location is unknown",
                )
            )
            return triage(best, confidence, None)
        office = area.kelurahan if scope == "kelurahan" else area.kelurahan.kecamatan
        suggested = f"{'KEL' if scope == 'kelurahan' else 'KEC'}-{office.code}"
        reasons.append(
            (
                f"urusan tingkat {scope}: ke kantor {scope} {office.name} ({suggested})",
                f"a {scope}-level matter: to the {scope} office of {office.name} ({suggested})",
            )
        )

    conflict = runner_up is not None and second >= settings.conflict_ratio * top
    if confidence < settings.min_confidence or conflict:
        if runner_up is not None:
            reasons.append(
                (
                    f"aturan bertentangan: '{best}' (skor {top:g}) vs '{runner_up}' (skor {second:g})",
                    f"conflicting rules: '{best}' (score {top:g}) vs '{runner_up}' (score {second:g})",
                )
            )
        if confidence < settings.min_confidence:
            reasons.append(
                (
                    f"keyakinan {confidence:.2f} di bawah ambang {settings.min_confidence:g}: dikirim ke meja triase",
                    f"confidence {confidence:.2f} below the threshold {settings.min_confidence:g}:"
                    " sent to the triage desk",
                )
            )
        else:
            reasons.append(
                (
                    f"skor kedua ≥ {settings.conflict_ratio:g}× skor tertinggi: dikirim ke meja triase",
                    f"the runner-up scores ≥ {settings.conflict_ratio:g}× the best: sent to the triage desk",
                )
            )
        return triage(best, confidence, suggested)

    assert suggested is not None
    reasons.append(
        (
            f"diteruskan ke {suggested} (keyakinan {confidence:.2f})",
            f"routed to {suggested} (confidence {confidence:.2f})",
        )
    )
    return decision(suggested, best, confidence, suggested, needs_triage=False)


def routed_event(submitted: Envelope, decision: RoutingDecision, *, now: datetime) -> Envelope:
    data = submitted.data
    assert isinstance(data, ComplaintSubmitted)
    return Envelope(
        source=SOURCE,
        correlation_id=submitted.correlation_id,
        # Routing handles submissions in batches: each decision continues its own complaint's trace.
        traceparent=submitted.traceparent,
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
            suggested_department=decision.suggested_department,
            **place_fields(decision.area),
            classifier_version=decision.classifier_version,
            taxonomy_version=decision.taxonomy_version,
        ),
    )
