"""The "Bukti foto / Photo evidence" block of a complaint's page, shaped from status's photo list
(intake's live-photo verdicts): per photo the verdict, each reason in plain words, what was
checked, and each earlier photo it matches with the confidence and how it was matched. A match
links to the earlier complaint's page only when status says the viewer may see that complaint;
otherwise the page says only that it matches another complaint's photo. Pure; every field may be
missing (photos from before a check existed carry none of its fields)."""

from __future__ import annotations

from typing import Any

from sigap_web.i18n import Translator

VERDICTS = ("verified_live", "suspicious", "rejected")
CREDENTIAL_STATES = ("valid", "trusted", "invalid", "unreadable")


def _reason(t: Translator, reason: Any) -> dict[str, str]:
    if not isinstance(reason, dict):
        return {"code": "", "text": str(reason)}
    code = str(reason.get("code") or "")
    key = f"evidence.reason.{code}"
    # A reason this page has no words for yet: status's own message, in the page's language.
    return {"code": code, "text": t(key) if key in t.catalogue else str(reason.get("message") or code or "-")}


def _method(t: Translator, check: str) -> str:
    key = f"evidence.method.{check}"
    return t(key) if key in t.catalogue else check


def _match(t: Translator, match: dict[str, Any]) -> dict[str, Any]:
    checks = [str(check) for check in match.get("checks") or ()]
    strength = match.get("strength")
    confidence = match.get("confidence")
    # The single-hash check (SIGAP_PHOTO_REUSE_VIEWS off) measures no confidence: only features do.
    measured = isinstance(confidence, (int, float)) and (confidence > 0 or "orb_ransac" in checks)
    complaint_id = match.get("earlier_complaint_id") if match.get("earlier_complaint_visible") else None
    return {
        "strength": strength if strength in ("strong", "weak") else "weak",
        "label": t("evidence.match.strong") if strength == "strong" else t("evidence.match.weak"),
        "confidence": t("evidence.match.confidence_value", percent=round(float(confidence) * 100))
        if measured
        else t("evidence.match.confidence_hash"),
        "checks": [_method(t, check) for check in checks],
        "message": str(match.get("message") or ""),
        "link": f"/dasbor/pengaduan/{complaint_id}" if complaint_id else None,
    }


def _checked(t: Translator, photo: dict[str, Any]) -> list[str]:
    checked = [t("evidence.check.capture")]
    credentials = photo.get("content_credentials")
    state = credentials.get("state") if isinstance(credentials, dict) else None
    if state in CREDENTIAL_STATES:
        checked.append(t("evidence.check.credentials", state=t(f"evidence.credentials.{state}")))
    else:
        checked.append(t("evidence.check.credentials_none"))
    distance = photo.get("location_distance_m")
    if photo.get("location_compared") and distance is not None:
        checked.append(t("evidence.check.location", m=distance))
    else:
        checked.append(t("evidence.check.location_none"))
    checked.append(t("evidence.check.reuse"))
    return checked


def photo_evidence(t: Translator, photo: dict[str, Any]) -> dict[str, Any]:
    """One photo's evidence block."""
    verdict = photo.get("verdict")
    known = verdict in VERDICTS
    return {
        "verdict": verdict if known else "unknown",
        "verdict_text": t(f"dash.verdict.{verdict}") if known else t("evidence.verdict.unknown"),
        "reasons": [_reason(t, reason) for reason in photo.get("reasons") or ()],
        "checked": _checked(t, photo),
        "matches": [_match(t, match) for match in photo.get("matches") or () if isinstance(match, dict)],
    }
