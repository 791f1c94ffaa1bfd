"""Content Credentials (C2PA): newer phone cameras and some apps sign their photos. When a
photo carries a manifest, the c2pa-python library (the C2PA reference implementation)
validates it, and the result is recorded with the photo: `invalid` when a signature or hash
breaks, `valid` when it holds, and `trusted` when it also chains to a certificate on the trust
list (`SIGAP_C2PA_TRUST_ANCHORS`: the camera makers and apps the city trusts). A valid
signature from a signer not on the list says only that the file is unchanged since someone
signed it, so it is reported as untrusted (checks.py)."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from pathlib import Path

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
    # Who signed, as the signing certificate names them (organisation, common name).
    signer: str | None = None

    @property
    def trusted(self) -> bool:
        return self.state == "trusted"

    def to_json(self) -> dict[str, object]:
        return {
            "state": self.state,
            "trusted": self.trusted,
            "claim_generator": self.claim_generator,
            "signer": self.signer,
            "failures": list(self.failures),
            "generated_by_ai": self.generated_by_ai,
        }


ABSENT = ContentCredentials(state="absent")


def _may_carry_manifest(data: bytes) -> bool:
    # Manifests live in JUMBF boxes labelled "c2pa"; skipping the library for the vast majority
    # of photos without one keeps uploads cheap.
    return b"jumb" in data and b"c2pa" in data


def read_trust_anchors(path: Path) -> str:
    """The trust list's PEM text, refused at start-up when it names no certificate (a typo in
    the path must not quietly trust nobody)."""
    text = path.read_text(encoding="ascii")
    if "-----BEGIN CERTIFICATE-----" not in text:
        raise ValueError(f"{path} holds no PEM certificate (SIGAP_C2PA_TRUST_ANCHORS)")
    return text


def _trusting(trust_anchors: str) -> c2pa.Context:
    settings = c2pa.Settings()
    settings.update(json.dumps({"verify": {"verify_trust": True}, "trust": {"trust_anchors": trust_anchors}}))
    return c2pa.Context(settings=settings)


def inspect(data: bytes, media_type: str, *, trust_anchors: str | None = None) -> ContentCredentials:
    """`trust_anchors`: PEM certificates of the trusted signers (or their authorities); None:
    nobody is trusted, a manifest is at best `valid`."""
    if not _may_carry_manifest(data):
        return ABSENT
    # A context per photo: only the rare photo with a manifest gets here.
    context = _trusting(trust_anchors) if trust_anchors else None
    try:
        try:
            reader = c2pa.Reader(media_type, io.BytesIO(data), context=context)
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
    finally:
        if context is not None:
            context.close()
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
        signer=_signer(manifest.get("signature_info") or {}),
    )


def _signer(signature: dict) -> str | None:
    names = [clean_text(str(signature[part])) for part in ("issuer", "common_name") if signature.get(part)]
    return ", ".join(names) or None
