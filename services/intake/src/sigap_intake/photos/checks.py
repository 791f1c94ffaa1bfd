"""Pure live-photo checks: what an uploaded file is (sniffed from its bytes), what its EXIF
says, its perceptual hash, and the verdict with reasons. No single check proves a photo was
taken live, so each one only adds a reason; the category's policy decides which reasons reject.

Pillow decodes in memory; nothing here touches the network, the disk or the database.

Why it is long (over 400 lines, `capture_reasons` and `analyse` over 60): each rule is a few
lines over the same facts, and the whole list of reasons reads best in one place."""

from __future__ import annotations

import functools
import hashlib
import io
import math
import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import Literal
from zoneinfo import ZoneInfo

import imagehash
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from sigap_intake.photos import content_credentials
from sigap_intake.photos.fingerprint import Fingerprint, grey_fingerprint, upright_grey
from sigap_intake.photos.keys import PhotoKeys, grey_keys
from sigap_intake.photos.content_credentials import ContentCredentials
from sigap_shared.errors import DomainError, Text
from sigap_shared.storable import clean_text, within

Verdict = Literal["verified_live", "suspicious", "rejected"]
VERDICT_RANK: dict[str, int] = {"verified_live": 0, "suspicious": 1, "rejected": 2}

MEDIA_TYPES = {"jpeg": "image/jpeg", "png": "image/png", "heic": "image/heic"}
SUFFIXES = {"jpeg": ".jpg", "png": ".png", "heic": ".heic"}

# ISO base media file brands of HEIF images as phones write them (iPhones and many Androids
# shoot HEIC): the `ftyp` box's major brand.
_HEIF_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"})


@functools.cache
def _srgb() -> ImageCms.ImageCmsProfile:
    """The sRGB profile public copies are converted to, made on first use rather than at import."""
    return ImageCms.createProfile("sRGB")


# EXIF tags (TIFF/EXIF 2.32 numbering).
_MAKE, _MODEL, _SOFTWARE = 0x010F, 0x0110, 0x0131
_EXIF_IFD, _GPS_IFD = 0x8769, 0x8825
_DATETIME_ORIGINAL, _OFFSET_TIME_ORIGINAL, _USER_COMMENT = 0x9003, 0x9011, 0x9286
_GPS_LAT_REF, _GPS_LAT, _GPS_LON_REF, _GPS_LON = 1, 2, 3, 4

# Photos are taken by digital cameras, which did not write EXIF before the 1990s; a capture
# time later than the upload by more than any time zone mistake explains is as impossible.
EARLIEST_CAPTURE = datetime(1990, 1, 1, tzinfo=UTC)
FUTURE_CAPTURE_TOLERANCE = timedelta(days=1)

# Software tags written by editors (cameras write firmware or OS versions there instead).
_EDITORS = re.compile(
    r"photoshop|lightroom|gimp|snapseed|picsart|canva|facetune|meitu|remini|vsco|pixlr|"
    r"affinity|paint\.net|photoscape|picasa|polarr|afterlight|inshot|fotor|capcut|photo ?editor",
    re.IGNORECASE,
)


class PhotoError(DomainError):
    """An upload that cannot be accepted at all (wrong type, too big, corrupt)."""


@dataclass(frozen=True, slots=True)
class Reason:
    code: str
    message_id: str
    message_en: str
    details: Mapping[str, object] = field(default_factory=dict)

    def to_json(self) -> dict[str, object]:
        return {"code": self.code, "message_id": self.message_id, "message_en": self.message_en, **self.details}

    @classmethod
    def from_json(cls, stored: Mapping[str, object]) -> "Reason":
        details = {k: v for k, v in stored.items() if k not in ("code", "message_id", "message_en")}
        return cls(
            code=str(stored["code"]),
            message_id=str(stored["message_id"]),
            message_en=str(stored["message_en"]),
            details=details,
        )


@dataclass(frozen=True, slots=True)
class PhotoFacts:
    """What the bytes say about a photo, before any comparison with the session or others."""

    sha256: bytes
    kind: str  # "jpeg" | "png" | "heic"
    width: int
    height: int
    phash: int  # unsigned 64-bit
    has_exif: bool
    taken_at: datetime | None  # None when absent, unreadable or implausible
    taken_at_offset_known: bool
    camera_make: str | None
    camera_model: str | None
    software: str | None
    user_comment: str | None
    gps: tuple[float, float] | None
    credentials: ContentCredentials = content_credentials.ABSENT
    # DateTimeOriginal as written, when it names a time no camera took the photo at.
    implausible_taken_at: str | None = None
    # View hashes and local features for reuse detection (photos/evidence.py); without the views
    # (SIGAP_PHOTO_REUSE_KEYS alone) only the features, which confirm key candidates.
    fingerprint: Fingerprint | None = None
    # SIFT descriptor keys to store and to probe with (photos/keys.py, SIGAP_PHOTO_REUSE_KEYS).
    keys: PhotoKeys | None = None

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES[self.kind]

    @property
    def suffix(self) -> str:
        return SUFFIXES[self.kind]




def sniff(data: bytes) -> str:
    """The image type from the first bytes; the file name and declared type are not trusted."""
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS:
        return "heic"
    raise PhotoError(
        "unsupported-image-type",
        Text(
            id="Berkas ini bukan foto JPEG, HEIC atau PNG.",
            en="This file is not a JPEG, HEIC or PNG photo.",
        ),
    )


@functools.cache
def _enable_heif() -> None:
    """Teach Pillow to open HEIF/HEIC (pillow-heif's libheif), once, when first needed."""
    import pillow_heif

    pillow_heif.register_heif_opener()


def _open(data: bytes, kind: str) -> Image.Image:
    if kind == "heic":
        _enable_heif()
    return Image.open(io.BytesIO(data))


def analyse(
    data: bytes,
    *,
    max_bytes: int,
    max_pixels: int,
    default_offset: tzinfo,
    received_at: datetime | None = None,
    trust_anchors: str | None = None,
    reuse_views: bool = False,
    reuse_keys: bool = False,
) -> PhotoFacts:
    """`default_offset`: the zone (or fixed offset) an EXIF time without OffsetTimeOriginal is
    read in: the city's, from SIGAP_TIMEZONE. `trust_anchors`: the C2PA trust list (PEM).
    `reuse_views`: also take the view hashes and local features of the multi-view reuse check
    (SIGAP_PHOTO_REUSE_VIEWS); off, only the single perceptual hash is taken. `reuse_keys`: also
    take the SIFT keys and the local features that confirm their candidates
    (SIGAP_PHOTO_REUSE_KEYS)."""
    if not data:
        raise PhotoError(
            "empty-file",
            Text(
                id="Berkas foto kosong.",
                en="The photo file is empty.",
            ),
        )
    if len(data) > max_bytes:
        raise PhotoError(
            "photo-too-large",
            Text(
                id=f"Foto terlalu besar: maksimal {_size(max_bytes)}.",
                en=f"The photo is too large: at most {_size(max_bytes)}.",
            ),
        )
    kind = sniff(data)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = _open(data, kind)
            if image.width * image.height > max_pixels:
                raise PhotoError(
                    "photo-too-many-pixels",
                    Text(
                        id=f"Resolusi foto terlalu besar: maksimal {max_pixels // 1_000_000} megapiksel.",
                        en=f"The photo's resolution is too large: at most {max_pixels // 1_000_000} megapixels.",
                    ),
                )
            exif = image.getexif()
            image.load()
    except PhotoError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError,
            Image.DecompressionBombWarning) as exc:
        raise PhotoError(
            "corrupt-image",
            Text(
                id="Berkas foto rusak atau tidak lengkap; ambil dan kirim ulang fotonya.",
                en="The photo file is damaged or incomplete; take and send it again.",
            ),
        ) from exc
    exif_ifd = exif.get_ifd(_EXIF_IFD) if exif else {}
    gps_ifd = exif.get_ifd(_GPS_IFD) if exif else {}
    taken_at, offset_known = _taken_at(exif_ifd, default_offset)
    implausible = None
    latest = (received_at or datetime.now(UTC)) + FUTURE_CAPTURE_TOLERANCE
    if taken_at is not None and not within(taken_at, earliest=EARLIEST_CAPTURE, latest=latest):
        implausible, taken_at = _text(exif_ifd.get(_DATETIME_ORIGINAL)), None
    # The reuse checks' grey picture, made once for the ORB fingerprint and the SIFT keys.
    grey = upright_grey(image) if reuse_views or reuse_keys else None
    return PhotoFacts(
        sha256=hashlib.sha256(data).digest(),
        kind=kind,
        width=image.width,
        height=image.height,
        phash=perceptual_hash(image),
        has_exif=bool(exif) or bool(exif_ifd),
        taken_at=taken_at,
        taken_at_offset_known=offset_known,
        camera_make=_text(exif.get(_MAKE)) if exif else None,
        camera_model=_text(exif.get(_MODEL)) if exif else None,
        software=_text(exif.get(_SOFTWARE)) if exif else None,
        user_comment=_text(exif_ifd.get(_USER_COMMENT)),
        gps=_gps(gps_ifd),
        credentials=content_credentials.inspect(data, MEDIA_TYPES[kind], trust_anchors=trust_anchors),
        implausible_taken_at=implausible,
        fingerprint=grey_fingerprint(grey, views=reuse_views) if grey is not None else None,
        keys=grey_keys(grey) if grey is not None and reuse_keys else None,
    )


def _size(n_bytes: int) -> str:
    if n_bytes >= 1024 * 1024:
        return f"{n_bytes / (1024 * 1024):g} MB"
    return f"{n_bytes // 1024} KB"


def perceptual_hash(image: Image.Image) -> int:
    """64-bit DCT hash, robust to resizing, re-compression and light cropping."""
    upright = ImageOps.exif_transpose(image)
    return int(str(imagehash.phash(upright)), 16)


def public_copy(data: bytes) -> bytes:
    """A JPEG of the pixels only: no EXIF (GPS, device), XMP, C2PA manifest, comment or
    colour profile. Turned upright first since the orientation tag goes too, and converted to
    sRGB first since the profile goes too."""
    source = _open(data, sniff(data))
    image = ImageOps.exif_transpose(source)
    icc_profile = source.info.get("icc_profile")
    if image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    if icc_profile:
        try:
            image = ImageCms.profileToProfile(
                image, ImageCms.ImageCmsProfile(io.BytesIO(icc_profile)), _srgb(), outputMode=image.mode
            )
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass  # an unreadable profile: keep the pixels as they are
    # A new image from the bare pixels carries nothing over from the original's `info`.
    bare = Image.frombytes(image.mode, image.size, image.tobytes())
    out = io.BytesIO()
    bare.save(out, "JPEG", quality=85, optimize=True)
    return out.getvalue()


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        # UserComment starts with an 8-byte character-code prefix ("ASCII\0\0\0", "UNICODE\0").
        if value[:8] in (b"ASCII\x00\x00\x00", b"UNICODE\x00", b"\x00" * 8):
            encoding = "utf-16" if value[:8] == b"UNICODE\x00" else "latin-1"
            value = value[8:].decode(encoding, errors="replace")
        else:
            value = value.decode("latin-1", errors="replace")
    # Metadata is what the file says, not what a client typed: NUL inside it is cleaned away
    # rather than refused, so PostgreSQL can store it.
    text = clean_text(str(value)).strip(" \t\r\n")
    return text or None


_OFFSET = re.compile(r"^([+-])(\d{2}):(\d{2})$")


def parse_offset(text: str) -> timezone:
    match = _OFFSET.match(text.strip())
    if not match:
        raise ValueError(f"not a UTC offset: {text!r}")
    sign = -1 if match.group(1) == "-" else 1
    return timezone(sign * timedelta(hours=int(match.group(2)), minutes=int(match.group(3))))


def _taken_at(exif_ifd: Mapping[int, object], default_offset: tzinfo) -> tuple[datetime | None, bool]:
    raw = _text(exif_ifd.get(_DATETIME_ORIGINAL))
    if not raw:
        return None, False
    try:
        local = datetime.strptime(raw[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None, False
    offset_text = _text(exif_ifd.get(_OFFSET_TIME_ORIGINAL))
    if offset_text:
        try:
            return local.replace(tzinfo=parse_offset(offset_text)), True
        except ValueError:
            pass
    return local.replace(tzinfo=default_offset), False


def _gps(gps_ifd: Mapping[int, object]) -> tuple[float, float] | None:
    try:
        lat = _degrees(gps_ifd[_GPS_LAT]) * (-1 if _text(gps_ifd.get(_GPS_LAT_REF)) == "S" else 1)
        lon = _degrees(gps_ifd[_GPS_LON]) * (-1 if _text(gps_ifd.get(_GPS_LON_REF)) == "W" else 1)
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or math.isnan(lat) or math.isnan(lon):
        return None
    return lat, lon


def _degrees(value: object) -> float:
    d, m, s = (float(part) for part in value)  # type: ignore[union-attr]
    return d + m / 60 + s / 3600


# -- reasons ------------------------------------------------------------------------------


def capture_reasons(
    facts: PhotoFacts,
    *,
    session_started_at: datetime,
    uploaded_at: datetime,
    clock_skew: timedelta,
    old_after: timedelta,
) -> list[Reason]:
    """What the photo's own metadata says about whether it was taken in this capture session."""
    reasons: list[Reason] = []
    if facts.credentials.state in ("invalid", "unreadable"):
        reasons.append(
            Reason(
                "content_credentials_invalid",
                "Tanda tangan Content Credentials (C2PA) pada foto tidak sah: foto diubah setelah ditandatangani.",
                "The photo's Content Credentials (C2PA) signature does not verify: it was altered after signing.",
                {"failures": list(facts.credentials.failures)},
            )
        )
    if facts.credentials.state == "valid":
        reasons.append(
            Reason(
                "content_credentials_untrusted",
                "Tanda tangan Content Credentials (C2PA) sah, tetapi penandatangannya tidak ada di daftar tepercaya.",
                "The Content Credentials (C2PA) signature is valid, but its signer is not on the trust list.",
                {"signer": facts.credentials.signer},
            )
        )
    if facts.credentials.generated_by_ai:
        reasons.append(
            Reason(
                "ai_generated",
                "Content Credentials menyatakan gambar ini dibuat oleh AI, bukan kamera.",
                "The Content Credentials say this image was made by AI, not a camera.",
            )
        )
    if facts.kind == "png" or (facts.user_comment and "screenshot" in facts.user_comment.lower()) or (
        facts.software and "screenshot" in facts.software.lower()
    ):
        reasons.append(
            Reason(
                "screenshot",
                "Berkas tampak seperti tangkapan layar, bukan foto kamera.",
                "The file looks like a screenshot, not a camera photo.",
            )
        )
    if not facts.has_exif:
        reasons.append(
            Reason(
                "no_exif",
                "Foto tidak memiliki data EXIF kamera; tidak bisa dipastikan diambil langsung.",
                "The photo has no camera EXIF data; it cannot be confirmed as taken live.",
            )
        )
        return reasons
    if facts.implausible_taken_at is not None:
        reasons.append(
            Reason(
                "implausible_capture_time",
                "Waktu pengambilan di foto (DateTimeOriginal) mustahil: bukan waktu foto ini diambil.",
                "The photo's capture time (DateTimeOriginal) is impossible: not when this photo was taken.",
                {"exif_datetime_original": facts.implausible_taken_at},
            )
        )
    elif facts.taken_at is None:
        reasons.append(
            Reason(
                "no_capture_time",
                "Foto tidak mencatat waktu pengambilan (DateTimeOriginal).",
                "The photo does not record when it was taken (DateTimeOriginal).",
            )
        )
    else:
        earliest, latest = session_started_at - clock_skew, uploaded_at + clock_skew
        details = {"taken_at": facts.taken_at.isoformat()}
        if facts.taken_at < session_started_at - old_after:
            reasons.append(
                Reason(
                    "old_photo",
                    "Foto diambil jauh sebelum sesi kamera dibuka (foto lama dari galeri?).",
                    "The photo was taken long before the camera session opened (an old gallery photo?).",
                    details,
                )
            )
        elif not earliest <= facts.taken_at <= latest:
            reasons.append(
                Reason(
                    "capture_time_outside_session",
                    "Waktu pengambilan foto di luar sesi kamera.",
                    "The photo's capture time is outside the camera session.",
                    details,
                )
            )
    # A trusted signature names the camera or app that made the photo better than EXIF can.
    if not (facts.camera_make and facts.camera_model) and not facts.credentials.trusted:
        reasons.append(
            Reason(
                "no_camera_info",
                "Merek/model kamera tidak tercatat di foto.",
                "The camera make/model is missing from the photo.",
            )
        )
    if facts.software and _EDITORS.search(facts.software):
        reasons.append(
            Reason(
                "editing_software",
                "Foto telah diolah dengan aplikasi penyunting.",
                "The photo was processed with editing software.",
                {"software": facts.software},
            )
        )
    return reasons




def location_reason(
    gps: tuple[float, float] | None, *, reported: tuple[float, float] | None, max_distance_m: float
) -> Reason | None:
    return location_check(gps, reported=reported, max_distance_m=max_distance_m)[1]


def location_check(
    gps: tuple[float, float] | None, *, reported: tuple[float, float] | None, max_distance_m: float
) -> tuple[int | None, Reason | None]:
    """The whole metres between where the photo was taken and the reported location (None when
    either is unknown), and the reason to doubt the photo when that is too far."""
    if gps is None or reported is None:
        return None, None
    distance = round(haversine_m(gps, reported))
    if distance <= max_distance_m:
        return distance, None
    return distance, Reason(
        "gps_far_from_location",
        "Lokasi GPS di foto jauh dari lokasi yang dilaporkan.",
        "The photo's GPS position is far from the reported location.",
        {"distance_m": distance},
    )


def haversine_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6_371_000 * math.asin(math.sqrt(h))


# Reasons staff should read that do not by themselves cast doubt on a photo: a valid signature
# from a signer not on the trust list is no worse than no signature at all.
NOTES = frozenset({"content_credentials_untrusted"})


def verdict(reasons: Sequence[Reason], *, category: str | None, reject_reasons: Mapping[str, Sequence[str]]) -> Verdict:
    """`rejected` when the category's policy rejects any reason, `suspicious` for any other
    reason but a note (`NOTES`)."""
    rejecting = set(reject_reasons.get(category or "*", reject_reasons.get("*", ())))
    if any(reason.code in rejecting for reason in reasons):
        return "rejected"
    return "suspicious" if any(reason.code not in NOTES for reason in reasons) else "verified_live"















@dataclass(frozen=True, slots=True)
class PhotoPolicy:
    """The configurable part of the checks, built from settings once per process."""

    min_photos: int = 0
    max_photos: int = 5
    max_bytes: int = 10 * 1024 * 1024
    max_pixels: int = 40_000_000
    session_ttl: timedelta = timedelta(minutes=5)
    clock_skew: timedelta = timedelta(minutes=2)
    old_after: timedelta = timedelta(days=1)
    default_offset: tzinfo = ZoneInfo("Asia/Jakarta")
    gps_max_distance_m: float = 1000.0
    reuse_max_distance: int = 10
    # The multi-view reuse check (photos/evidence.py) instead of the single perceptual hash.
    reuse_views: bool = False
    # SIFT keys (photos/keys.py) as a candidate source, with the single hash's neighbours, all
    # confirmed by ORB + RANSAC (and the views' candidates too when `reuse_views` is on).
    reuse_keys: bool = False
    reject_reasons: Mapping[str, Sequence[str]] = field(default_factory=lambda: {"*": ("reused_photo",)})
    # The C2PA trust list (PEM certificates); None: no signer is trusted.
    c2pa_trust_anchors: str | None = None
