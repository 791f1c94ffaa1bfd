"""Content Credentials (C2PA): newer phone cameras sign their photos. When a photo carries a
manifest, the c2pa-python library (the C2PA reference implementation) validates it, and the
result is recorded with the photo. No trust list is configured, so a manifest whose signature
and hashes check out is `valid` (not yet `trusted`); a broken one is `invalid`."""

from __future__ import annotations

import io
from dataclasses import dataclass, field

import c2pa

from sigap_shared.storable import clean_text

# IPTC digital source types that mean "made by a generative model", not taken by a camera.
_GENERATED = ("trainedAlgorithmicMedia", "compositeWithTrainedAlgorithmicMedia", "algorithmicMedia")


@dataclass(frozen=True, slots=True)
class ContentCredentials:
    state: str  # "absent" | "valid" | "trusted" | "invalid" | "unreadable"
    claim_generator: str | None = None
    failures: tuple[str, ...] = ()
    generated_by_ai: bool = False
    digital_source_types: tuple[str, ...] = field(default_factory=tuple)

    def to_json(self) -> dict[str, object]:
        return {
            "state": self.state,
            "claim_generator": self.claim_generator,
            "failures": list(self.failures),
            "generated_by_ai": self.generated_by_ai,
        }


ABSENT = ContentCredentials(state="absent")


def _may_carry_manifest(data: bytes) -> bool:
    # Manifests live in JUMBF boxes labelled "c2pa"; skipping the library for the vast majority
    # of photos without one keeps uploads cheap.
    return b"jumb" in data and b"c2pa" in data


def inspect(data: bytes, media_type: str) -> ContentCredentials:
    if not _may_carry_manifest(data):
        return ABSENT
    try:
        reader = c2pa.Reader(media_type, io.BytesIO(data))
    except c2pa.C2paError as exc:
        if "ManifestNotFound" in type(exc).__name__ or "ManifestNotFound" in str(exc):
            return ABSENT
        return ContentCredentials(state="unreadable", failures=(type(exc).__name__,))
    try:
        state = str(reader.get_validation_state() or "").lower() or "invalid"
        results = reader.get_validation_results() or {}
        manifest = reader.get_active_manifest() or {}
    finally:
        reader.close()
    # Manifest text is the file's, stored with the photo: cleaned of what PostgreSQL cannot hold.
    failures = tuple(
        sorted({clean_text(str(item.get("code"))) for item in (results.get("activeManifest") or {}).get("failure", [])})
    )
    generators = manifest.get("claim_generator_info") or []
    claim_generator = manifest.get("claim_generator") or (generators[0].get("name") if generators else None)
    source_types = []
    for assertion in manifest.get("assertions") or []:
        if str(assertion.get("label", "")).startswith("c2pa.actions"):
            for action in (assertion.get("data") or {}).get("actions") or []:
                if action.get("digitalSourceType"):
                    source_types.append(clean_text(str(action["digitalSourceType"])))
    return ContentCredentials(
        state=state if state in ("valid", "trusted", "invalid") else "invalid",
        claim_generator=clean_text(str(claim_generator)) if claim_generator else None,
        failures=failures,
        generated_by_ai=any(source.rsplit("/", 1)[-1] in _GENERATED for source in source_types),
        digital_source_types=tuple(source_types),
    )
