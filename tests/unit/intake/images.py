"""Real image files for the intake tests, generated on the spot: a random scene per seed,
saved as JPEG, HEIC (pillow-heif) or PNG with whatever EXIF a test wants (written with
Pillow's EXIF support)."""

from __future__ import annotations

import io
import random
from datetime import datetime, timedelta, timezone

from PIL import Image, ImageDraw, ImageFilter

WIB = timezone(timedelta(hours=7))
DEPOK_EXAMPLE = (-6.3925, 106.8226)


def scene(seed: int, size: tuple[int, int] = (1200, 900)) -> Image.Image:
    rnd = random.Random(seed)
    image = Image.new("RGB", size, tuple(rnd.randrange(256) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    for _ in range(40):
        x0, y0 = rnd.randrange(size[0]), rnd.randrange(size[1])
        box = [x0, y0, x0 + rnd.randrange(40, size[0] // 2), y0 + rnd.randrange(40, size[1] // 2)]
        colour = tuple(rnd.randrange(256) for _ in range(3))
        (draw.ellipse if rnd.random() < 0.5 else draw.rectangle)(box, fill=colour)
    return image.filter(ImageFilter.GaussianBlur(2))


def _dms(value: float) -> tuple[float, float, float]:
    value = abs(value)
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = round(((value - degrees) * 60 - minutes) * 60, 4)
    return (float(degrees), float(minutes), seconds)


def exif_for(
    *,
    taken_at: datetime | None,
    make: str | None = "samsung",
    model: str | None = "SM-A546E",
    software: str | None = "A546EXXU4BWK1",
    gps: tuple[float, float] | None = None,
    with_offset: bool = True,
    user_comment: str | None = None,
) -> Image.Exif:
    exif = Image.Exif()
    if make:
        exif[0x010F] = make
    if model:
        exif[0x0110] = model
    if software:
        exif[0x0131] = software
    exif_ifd = exif.get_ifd(0x8769)
    if taken_at is not None:
        local = taken_at.astimezone(WIB)
        exif_ifd[0x9003] = local.strftime("%Y:%m:%d %H:%M:%S")
        if with_offset:
            exif_ifd[0x9011] = "+07:00"
    if user_comment:
        exif_ifd[0x9286] = b"ASCII\x00\x00\x00" + user_comment.encode()
    if gps is not None:
        gps_ifd = exif.get_ifd(0x8825)
        gps_ifd[1] = "S" if gps[0] < 0 else "N"
        gps_ifd[2] = _dms(gps[0])
        gps_ifd[3] = "W" if gps[1] < 0 else "E"
        gps_ifd[4] = _dms(gps[1])
    return exif


def jpeg(image: Image.Image, *, exif: Image.Exif | None = None, quality: int = 90) -> bytes:
    out = io.BytesIO()
    if exif is not None:
        image.save(out, "JPEG", quality=quality, exif=exif)
    else:
        image.save(out, "JPEG", quality=quality)
    return out.getvalue()


def camera_photo_with_everything(seed: int, *, taken_at: datetime, gps: tuple[float, float]) -> bytes:
    """A camera JPEG carrying every kind of metadata a phone may write: EXIF with GPS and
    device, XMP, a JPEG comment and an ICC colour profile."""
    from PIL import ImageCms

    xmp = (
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        b'<rdf:Description xmlns:tiff="http://ns.adobe.com/tiff/1.0/" tiff:Model="SM-A546E"/></rdf:RDF></x:xmpmeta>'
    )
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    out = io.BytesIO()
    scene(seed).save(
        out, "JPEG", quality=90, exif=exif_for(taken_at=taken_at, gps=gps), xmp=xmp,
        comment=b"Galaxy A54 owner: Budi", icc_profile=icc,
    )
    return out.getvalue()


def jpeg_metadata_markers(data: bytes) -> list[str]:
    """The JPEG's application (APPn) and comment (COM) segments before the image data, by name
    with their first bytes, e.g. ["APP0:JFIF", "APP1:Exif"]; a bare pixels-only JPEG has JFIF only."""
    assert data[:2] == b"\xff\xd8", "not a JPEG"
    found, at = [], 2
    while at + 4 <= len(data):
        marker, length = data[at + 1], int.from_bytes(data[at + 2 : at + 4], "big")
        if marker == 0xDA:  # start of scan: the image data follows
            break
        if 0xE0 <= marker <= 0xEF or marker == 0xFE:
            name = "COM" if marker == 0xFE else f"APP{marker - 0xE0}"
            found.append(f"{name}:{data[at + 4 : at + 8].decode('latin-1')}")
        at += 2 + length
    return found


def heic(image: Image.Image, *, exif: Image.Exif | None = None, quality: int = 80) -> bytes:
    """An HEIC file as newer phones shoot them, encoded by pillow-heif (libheif + x265)."""
    import pillow_heif

    pillow_heif.register_heif_opener()
    out = io.BytesIO()
    if exif is not None:
        image.save(out, "HEIF", quality=quality, exif=exif.tobytes())
    else:
        image.save(out, "HEIF", quality=quality)
    return out.getvalue()


def camera_heic(seed: int, *, taken_at: datetime | None, **exif_fields) -> bytes:
    """An HEIC as a phone camera writes it: make, model, firmware, capture time with offset."""
    return heic(scene(seed), exif=exif_for(taken_at=taken_at, **exif_fields))


def png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def camera_photo(seed: int, *, taken_at: datetime | None, **exif_fields) -> bytes:
    """A JPEG as a phone camera writes it: make, model, firmware, capture time with offset."""
    return jpeg(scene(seed), exif=exif_for(taken_at=taken_at, **exif_fields))


def resized_recompressed(data: bytes, *, scale: float = 0.5, quality: int = 60) -> bytes:
    image = Image.open(io.BytesIO(data))
    small = image.resize((int(image.width * scale), int(image.height * scale)))
    return jpeg(small, quality=quality)


def cropped(data: bytes, *, fraction: float = 0.03) -> bytes:
    image = Image.open(io.BytesIO(data))
    dx, dy = int(image.width * fraction), int(image.height * fraction)
    return jpeg(image.crop((dx, dy, image.width - dx, image.height - dy)), quality=85)


class C2paAuthority:
    """A throwaway ES256 certificate authority (a camera maker's or app's, in the tests) that
    issues signing certificates; its certificate is what a trust list names."""

    def __init__(self, common_name: str = "Test CA") -> None:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec

        now = datetime.now(timezone.utc)
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.validity = dict(not_valid_before=now - timedelta(days=1), not_valid_after=now + timedelta(days=30))
        self.certificate = (
            x509.CertificateBuilder(subject_name=_c2pa_name(common_name), issuer_name=_c2pa_name(common_name),
                                    public_key=self.key.public_key(), serial_number=x509.random_serial_number(),
                                    **self.validity)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(_c2pa_usage(sign=False, ca=True), critical=True)
            .sign(self.key, hashes.SHA256())
        )

    @property
    def pem(self) -> bytes:
        from cryptography.hazmat.primitives import serialization

        return self.certificate.public_bytes(serialization.Encoding.PEM)


def _c2pa_name(common_name: str):
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    return x509.Name([
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Sigap Test"),
    ])


def _c2pa_usage(*, sign: bool, ca: bool):
    from cryptography import x509

    return x509.KeyUsage(
        digital_signature=sign, content_commitment=False, key_encipherment=False, data_encipherment=False,
        key_agreement=False, key_cert_sign=ca, crl_sign=ca, encipher_only=False, decipher_only=False,
    )


def _c2pa_signer(authority: C2paAuthority | None = None):
    """A signing certificate issued by `authority` (a new one unless given), for c2pa signing."""
    import c2pa
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID

    authority = authority or C2paAuthority()
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder(subject_name=_c2pa_name("Test Camera"), issuer_name=authority.certificate.subject,
                                public_key=key.public_key(), serial_number=x509.random_serial_number(),
                                **authority.validity)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_c2pa_usage(sign=True, ca=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(authority.key.public_key()), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(authority.key, hashes.SHA256())
    )
    chain = leaf.public_bytes(serialization.Encoding.PEM) + authority.pem
    private_key = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return c2pa.Signer.from_info(
        c2pa.C2paSignerInfo(alg=c2pa.C2paSigningAlg.ES256, sign_cert=chain, private_key=private_key, ta_url=None)
    )


def c2pa_signed(data: bytes, *, ai_generated: bool = False, authority: C2paAuthority | None = None) -> bytes:
    """The JPEG with an embedded, signed C2PA manifest, as a camera that signs its photos
    writes; signed with a certificate of `authority` (a new, unknown one unless given)."""
    import c2pa

    source = "trainedAlgorithmicMedia" if ai_generated else "digitalCapture"
    manifest = {
        "claim_generator_info": [{"name": "sigap-test-camera", "version": "1.0"}],
        "title": "photo.jpg",
        "assertions": [{
            "label": "c2pa.actions",
            "data": {"actions": [{
                "action": "c2pa.created",
                "digitalSourceType": f"http://cv.iptc.org/newscodes/digitalsourcetype/{source}",
            }]},
        }],
    }
    out = io.BytesIO()
    c2pa.Builder(manifest).sign(_c2pa_signer(authority), "image/jpeg", io.BytesIO(data), out)
    return out.getvalue()


def tampered(data: bytes) -> bytes:
    """One byte changed after signing where it cannot break decoding: the JFIF pixel density."""
    at = data.index(b"JFIF\x00") + 9  # low byte of Xdensity
    changed = bytearray(data)
    changed[at] ^= 0x01
    return bytes(changed)


def textured_scene(seed: int, size: tuple[int, int] = (1000, 750)) -> Image.Image:
    """A street-like scene with natural texture (noise at several scales under the shapes of
    `scene`), so local features have corners to find as in a real photo."""
    import numpy as np

    rng = np.random.default_rng(seed)
    width, height = size
    texture = np.zeros((height, width), np.float32)
    for cells in (8, 32, 128):
        coarse = Image.fromarray(rng.normal(128, 60, (cells * height // width + 1, cells)).clip(0, 255).astype("uint8"))
        texture += np.asarray(coarse.resize(size, Image.Resampling.BICUBIC), np.float32) / 3
    shapes = np.asarray(scene(seed, size), np.float32)
    pixels = shapes * 0.7 + texture[:, :, None] * 0.3 + rng.normal(0, 3, shapes.shape)
    return Image.fromarray(pixels.clip(0, 255).astype("uint8"))


def app_screenshot(seed: int) -> Image.Image:
    """A screenshot of one chat app: the same coloured bars and tab icons, different bubbles."""
    rnd = random.Random(seed)
    width, height = 720, 1520
    image = Image.new("RGB", (width, height), (245, 245, 245))
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 0, width, 180], fill=(20, 120, 90))
    y = 220
    while y < height - 260:
        bubble_w, bubble_h = rnd.randrange(200, 600), rnd.randrange(60, 160)
        x = width - bubble_w - 30 if rnd.random() < 0.5 else 30
        draw.rounded_rectangle([x, y, x + bubble_w, y + bubble_h], radius=18, fill=(220, 248, 198))
        y += bubble_h + rnd.randrange(16, 60)
    draw.rectangle([0, height - 200, width, height], fill=(250, 250, 250))
    for tab in range(4):
        draw.ellipse([60 + tab * 170, height - 160, 120 + tab * 170, height - 100], fill=(120, 120, 120))
    return image
