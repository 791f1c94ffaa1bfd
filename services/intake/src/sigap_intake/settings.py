"""Intake's settings (env prefix SIGAP_)."""

from __future__ import annotations

import base64
import binascii
import tempfile
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator

from sigap_shared.settings import ServiceSettings

# 32 bytes, base64: accepted only outside production (see `refuse_development_secrets`).
DEVELOPMENT_IDENTITY_KEY = "c2lnYXAtZGV2ZWxvcG1lbnQtaWRlbnRpdHkta2V5ISE="
DEVELOPMENT_INTERNAL_TOKEN = "sigap-development-internal-token-change-me"


# A subset of routing's taxonomy (services/routing/.../taxonomy.yaml) that Open311 clients can
# choose from; routing still decides the department.
OPEN311_SERVICES: tuple[dict[str, str], ...] = (
    {"code": "jalan_rusak", "name": "Jalan rusak atau berlubang", "group": "Infrastruktur"},
    {"code": "drainase", "name": "Drainase, saluran air, banjir/genangan", "group": "Infrastruktur"},
    {"code": "trotoar", "name": "Trotoar / jalur pejalan kaki", "group": "Infrastruktur"},
    {"code": "sampah", "name": "Sampah dan kebersihan", "group": "Lingkungan"},
    {"code": "pohon_tumbang", "name": "Pohon tumbang", "group": "Lingkungan"},
    {"code": "lampu_jalan", "name": "Lampu penerangan jalan umum (PJU)", "group": "Perhubungan"},
    {"code": "lampu_lalu_lintas", "name": "Lampu lalu lintas (APILL)", "group": "Perhubungan"},
    {"code": "parkir", "name": "Parkir", "group": "Perhubungan"},
    {"code": "pedagang_kaki_lima", "name": "Pedagang kaki lima", "group": "Ketertiban"},
    {"code": "lainnya", "name": "Lainnya (dinas ditentukan petugas)", "group": "Lainnya"},
)


class IntakeSettings(ServiceSettings):
    service_name: str = "intake"
    http_port: int = 8000
    pg_database: str = "sigap_intake"

    # AES-256-GCM key (base64) encrypting reporter identities and stored retry responses.
    identity_key: SecretStr = SecretStr(DEVELOPMENT_IDENTITY_KEY)
    """intake: AES-256-GCM key, base64 of 32 bytes, sealing reporter identities and stored retry responses
    (required in production)"""

    # Bearer token other Sigap services present on /internal/v1 (e.g. notify resolving contacts).
    internal_token: SecretStr = SecretStr(DEVELOPMENT_INTERNAL_TOKEN)

    # How long an Idempotency-Key answers retries with the first result; older keys start
    # afresh and housekeeping purges them (every 10 minutes).
    idempotency_ttl_s: int = Field(default=24 * 3600, ge=60)
    """intake: how long an `Idempotency-Key` replays its first answer; older keys are purged by
    housekeeping"""

    # Photos: one to five live photos per complaint. The minimum is a setting so a development
    # run (`make run`), the tests of other services and load benchmarks can post without photos.
    min_photos: int = Field(default=1, ge=0, le=5)
    """intake: live photos required per complaint (`make run` sets 0 so a plain curl can try it out)"""
    max_photos: int = Field(default=5, ge=1, le=5)
    """intake: most photos per complaint"""
    photo_max_bytes: int = 10 * 1024 * 1024
    """intake: largest photo upload"""
    photo_max_pixels: int = 40_000_000
    """intake: largest photo in pixels (decompression bombs are refused)"""
    # Where photo files are kept: a local folder (photo_dir) or an S3-compatible bucket.
    photo_storage: Literal["local", "s3"] = "local"
    """intake: where photo files are kept: `local` (`SIGAP_PHOTO_DIR`) or `s3` (`SIGAP_S3_*`)"""
    photo_dir: Path = Path(tempfile.gettempdir()) / "sigap-intake-photos"
    """intake: the folder of photo files when `SIGAP_PHOTO_STORAGE=local`"""
    s3_endpoint_url: str | None = None  # e.g. "http://minio:9000"; unset: AWS S3 itself
    """intake: an S3-compatible endpoint (e.g. `http://minio:9000`); unset: AWS S3 itself"""
    s3_bucket: str | None = None
    """intake: the bucket of photo files (required with `SIGAP_PHOTO_STORAGE=s3`)"""
    s3_region: str = "us-east-1"
    """intake: the bucket's region"""
    # Unset: boto3's own lookup (environment, instance role, ...).
    s3_access_key_id: SecretStr | None = None
    """intake: S3 access key; unset (with the secret): boto3's own lookup (environment, instance role)"""
    s3_secret_access_key: SecretStr | None = None
    """intake: S3 secret key, set together with `SIGAP_S3_ACCESS_KEY_ID`"""
    capture_session_ttl_s: int = 300
    """intake: the capture window: a live photo must be taken within this many seconds of opening its
    capture session"""
    # Phone clocks drift: accept capture times this far outside the session window.
    capture_clock_skew_s: int = 120
    """intake: phone clocks drift: capture times this far outside the capture window are still accepted"""
    default_utc_offset: str | None = None
    """intake, deprecated: a fixed UTC offset (`+07:00`) for an EXIF capture time without `OffsetTimeOriginal`;
    unset: such a time is read in the city's zone (`SIGAP_TIMEZONE`); set, it wins, so older configurations keep
    their meaning"""
    photo_old_after_s: int = 24 * 3600
    """intake: a photo whose capture time is older than this is flagged as old"""
    photo_gps_max_distance_m: float = 1000.0
    """intake: a photo's GPS position farther than this from the complaint's location is flagged"""
    photo_reuse_max_distance: int = Field(default=10, ge=0, le=15)
    """intake: perceptual-hash distance under which a photo counts as a reuse of an earlier one (the single-hash
    check used while `SIGAP_PHOTO_REUSE_VIEWS` is off)"""
    # Opt-in until its lookup scales: see docs/reuse-detection.md for the figures.
    photo_reuse_views: bool = False
    """intake: recognise reused photos however cropped (up to 20 %), mirrored or rotated: perceptual hashes of 49
    views of each photo, looked up with 8 dihedral variants, confirmed by ORB keypoints + RANSAC; hash-only
    matches of plain pictures are `similar_photo` (never rejected). Gains: every edit class >= 93.3 % recognised
    with 1 000 stored scenes, 100 % with 200 (today's single hash misses mirrors, rotations and off-centre
    crops), 0 false confirmed matches in 747 500 unrelated pairs. Costs: about 20 KB of features and 49 view
    hashes per photo, a full check of p50 113 ms / p99 196 ms per upload (in-memory lookup, busy 2-core
    machine), and an index lookup of p50 about 325 ms at 20 000 photos (about 14 ms with exact band probes
    only), growing with photos x views, against today's <= 20 ms at millions of photos.
    Off (the default): today's single-hash lookup and verdicts; no view or feature rows are written"""
    # Opt-in until it has run on real uploads: see docs/reuse-detection.md "Keys from local features".
    photo_reuse_keys: bool = False
    """intake: recognise reused photos however cropped (up to 20 %), mirrored, rotated, re-lit or overlaid: about 56
    SIFT descriptor keys per photo (scheme `sift-n6`, photos/keys.py) are stored, and a new photo's 1 536 probe keys
    find the 8 earlier photos sharing most of them; these, with the single perceptual hash's neighbours (and the view
    candidates when `SIGAP_PHOTO_REUSE_VIEWS` is on too), are confirmed by ORB keypoints + RANSAC (`reused_photo`
    only when confirmed; screenshots get no keys and at most `similar_photo`). Gains (benchmarks.intake.evidence,
    2 000 scenes): every edit class >= 95 % recognised, 0 false confirmed matches in 2 990 000 unrelated pairs, a
    check p99 of 105 ms. Costs: one SIFT pass and the ORB features per upload, about 56 key rows and 20 KB of
    features per photo, and a lookup of about 2 000 index rows, p99 14-18 ms of database CPU at a million photos.
    Off (the default in code; docker-compose.yml and the Helm chart turn it on): no key or feature rows are written
    and nothing changes. Turned on later, it covers photos uploaded from then on"""
    # Reasons that reject a photo instead of flagging it, per category ("*" = any category).
    photo_reject_reasons: dict[str, list[str]] = Field(default_factory=lambda: {"*": ["reused_photo"]})
    """intake: photo-check reasons that reject a photo instead of flagging it, per category (`*`: any),
    JSON"""

    # Content Credentials (C2PA) trust list: a PEM file of the certificates (roots or
    # intermediates) of the camera makers and apps whose signatures the city trusts.
    c2pa_trust_anchors: Path | None = None
    """intake: a PEM file of the C2PA signing authorities (camera makers, apps) whose Content Credentials are
    trusted (`content_credentials.trusted: true`); unset: nobody is, and a valid signature is reported as
    `content_credentials_untrusted`"""

    # The clean-up of what live captures leave behind (capture/purge.py), by one replica at a time.
    capture_purge_interval_s: float = Field(default=600, gt=0)
    """intake: how often unused capture sessions and rejected uploads' files are purged"""
    capture_unused_session_grace_s: int = Field(default=3600, ge=0)
    """intake: a capture session never used is deleted this long after its capture window ended"""
    photo_rejected_keep_s: int = Field(default=24 * 3600, ge=0)
    """intake: the stored file of a rejected upload that no complaint took is deleted this long after the upload
    (the photo's row stays, so a later copy is still recognised)"""

    routing_url: str | None = None
    """intake: routing's base URL (e.g. `http://routing:8001`), whose public department list gives tracking the
    departments' names, and whose internal API an access request's export asks and an erasure clears (with
    `SIGAP_INTERNAL_TOKEN`); unset: tracking names departments by code only, and routing is not asked"""

    # An access request's export includes what status (SIGAP_STATUS_INTERNAL_URL, a shared
    # setting) and notify hold about the reporter, asked with SIGAP_INTERNAL_TOKEN.
    notify_internal_url: str | None = None
    """intake: notify's internal base URL (e.g. `http://notify:8003`) asked for an access request's export;
    unset: the export says notify was not asked"""

    # SP4N-LAPOR! decides when the reporter's objection window ends: status closes a finished
    # complaint nobody reacted to SIGAP_LAPOR_CLOSE_DAYS working days after the follow-up, and
    # intake refuses reopens from that event on. These calendar days only bound it (10 working
    # days are 14 calendar days, or more around long holidays and cuti bersama).
    reopen_window_days: int = Field(default=30, ge=0)
    """intake: upper bound, in calendar days after the resolution, of the reporter's reopen window; the window
    normally ends earlier, when SP4N-LAPOR!'s auto-close (status, `SIGAP_LAPOR_CLOSE_DAYS` working days after
    the follow-up) closes the complaint"""

    # UU 27/2022: personal data is kept no longer than its purpose needs. Two years after a
    # complaint closes covers a reopened complaint, an appeal and the city's yearly reports.
    personal_data_retention_days: int = Field(default=730, ge=0)
    """intake: days after a complaint closes (selesai or ditolak) before the retention job erases its reporter's
    identity, pseudonym, photo originals and photo metadata (the complaint and its public record stay)"""
    personal_data_retention_every_s: int = Field(default=3600, ge=10)
    """intake: how often the retention job looks for complaints due for erasure"""

    # Per device (X-Device-Id header, else client IP), on the POST endpoints, counted in intake's
    # database so the limit holds across replicas.
    # 0 turns it off; behind a proxy the client IP is the proxy's unless uvicorn is told to
    # trust X-Forwarded-For (--forwarded-allow-ips).
    rate_limit_per_minute: int = Field(default=0, ge=0)
    """intake: submissions per device per minute (0: off; compose sets 30); shared by all replicas"""
    rate_limit_burst: int = Field(default=10, ge=1)
    """intake: submissions a device may make at once before the per-minute rate applies"""
    rate_limit_ip_factor: int = Field(default=20, ge=1)
    """intake: one client address may submit this many times a device's rate (devices behind one NAT)"""

    # Where the public reaches intake (e.g. "https://sigap.depok.go.id"), for absolute links
    # such as Open311's media_url; unset: the base URL of the request being answered.
    public_base_url: str | None = None
    """intake: absolute base of public links such as Open311's `media_url` (e.g.
    `https://sigap.depok.go.id`); unset: the request's own"""

    # Open311 GeoReport v2 (/open311/v2): keys that may POST requests (none: posting refused),
    # and the service list offered to Open311 clients (category code -> name, group).
    open311_api_keys: list[SecretStr] = Field(default_factory=list)
    """intake: API keys that may post Open311 requests (JSON list; none: posting refused)"""
    open311_contact: str = "Diskominfo Kota Depok, sigap@depok.go.id"
    """intake: the contact Open311 discovery names"""
    open311_services: list[dict[str, str]] = Field(default_factory=lambda: [dict(s) for s in OPEN311_SERVICES])
    """intake: the categories offered to Open311 clients (JSON list of code, name, group)"""

    @model_validator(mode="after")
    def _s3_needs_a_bucket(self) -> "IntakeSettings":
        if self.photo_storage == "s3" and not self.s3_bucket:
            raise ValueError("SIGAP_PHOTO_STORAGE=s3 needs SIGAP_S3_BUCKET")
        if (self.s3_access_key_id is None) != (self.s3_secret_access_key is None):
            raise ValueError("set both SIGAP_S3_ACCESS_KEY_ID and SIGAP_S3_SECRET_ACCESS_KEY, or neither")
        return self

    @field_validator("identity_key")
    @classmethod
    def _identity_key_is_32_bytes(cls, value: SecretStr) -> SecretStr:
        try:
            raw = base64.b64decode(value.get_secret_value(), altchars=b"-_", validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ValueError("SIGAP_IDENTITY_KEY must be base64 (32 random bytes)") from exc
        if len(raw) != 32:
            raise ValueError("SIGAP_IDENTITY_KEY must decode to exactly 32 bytes")
        return value

    @property
    def identity_key_bytes(self) -> bytes:
        return base64.b64decode(self.identity_key.get_secret_value(), altchars=b"-_")

    def refuse_development_secrets(self) -> None:
        """Called by the entrypoint: production never runs on the development identity key or
        internal token. (Not a model validator: the shared settings tests build an intake
        settings object in production mode with only the shared secrets set.)"""
        if self.environment != "production":
            return
        if self.identity_key.get_secret_value() == DEVELOPMENT_IDENTITY_KEY:
            raise ValueError(
                "SIGAP_IDENTITY_KEY still has the development default; set a real key in production"
            )
        if self.internal_token.get_secret_value() == DEVELOPMENT_INTERNAL_TOKEN:
            raise ValueError(
                "SIGAP_INTERNAL_TOKEN still has the development default; set a real secret in production"
            )
