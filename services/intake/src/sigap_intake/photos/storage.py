"""Where photo files live. Originals are private and content-addressed (the SHA-256 of the
bytes is the name, so a retried upload writes nothing new); public copies carry no metadata.
A local folder by default (`SIGAP_PHOTO_STORAGE=local`), or an S3-compatible bucket
(`SIGAP_PHOTO_STORAGE=s3`); both keep the same keys, so a store can move between them."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from sigap_intake.settings import IntakeSettings


class PhotoStore(Protocol):
    def put(self, data: bytes, *, area: str, suffix: str) -> str: ...

    def get(self, key: str) -> bytes:
        """The bytes under `key`; FileNotFoundError when there are none."""
        ...

    def delete(self, key: str) -> None:
        """Remove the file under `key`; nothing happens when there is none (erasure is retried)."""
        ...


def content_key(data: bytes, *, area: str, suffix: str) -> str:
    digest = hashlib.sha256(data).hexdigest()
    return f"{area}/{digest[:2]}/{digest[2:4]}/{digest}{suffix}"


class LocalPhotoStore:
    def __init__(self, root: Path) -> None:
        self._root = root

    def put(self, data: bytes, *, area: str, suffix: str) -> str:
        key = content_key(data, area=area, suffix=suffix)
        path = self._root / key
        if path.exists():
            return key
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write then rename: a reader never sees half a file, and a crash leaves no partial one.
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(data)
            os.chmod(tmp, 0o640 if area == "originals" else 0o644)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return key

    def get(self, key: str) -> bytes:
        return (self._root / key).read_bytes()

    def delete(self, key: str) -> None:
        (self._root / key).unlink(missing_ok=True)


_MEDIA_TYPES = {".jpg": "image/jpeg", ".png": "image/png", ".heic": "image/heic"}


class S3PhotoStore:
    """An S3-compatible bucket (AWS S3, MinIO, Ceph, ...) through boto3. Objects are private
    (no ACL is granted); the public only ever gets bytes through intake's public photo route."""

    def __init__(self, *, client, bucket: str) -> None:
        self._client = client
        self._bucket = bucket

    def put(self, data: bytes, *, area: str, suffix: str) -> str:
        key = content_key(data, area=area, suffix=suffix)
        if self._exists(key):
            return key
        # One PUT is atomic on S3: a reader sees the whole object or none.
        self._client.put_object(
            Bucket=self._bucket,
            Key=key,
            Body=data,
            ContentType=_MEDIA_TYPES.get(suffix, "application/octet-stream"),
        )
        return key

    def get(self, key: str) -> bytes:
        try:
            found = self._client.get_object(Bucket=self._bucket, Key=key)
        except self._client.exceptions.NoSuchKey as exc:
            raise FileNotFoundError(key) from exc
        return found["Body"].read()

    def delete(self, key: str) -> None:
        # S3 answers a delete of a missing key with success too.
        self._client.delete_object(Bucket=self._bucket, Key=key)

    def _exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self._client.head_object(Bucket=self._bucket, Key=key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True


def photo_store_from_settings(settings: IntakeSettings) -> PhotoStore:
    if settings.photo_storage == "local":
        return LocalPhotoStore(settings.photo_dir)
    import boto3
    from botocore.config import Config

    client = boto3.session.Session().client(
        "s3",
        endpoint_url=settings.s3_endpoint_url,
        region_name=settings.s3_region,
        aws_access_key_id=settings.s3_access_key_id.get_secret_value() if settings.s3_access_key_id else None,
        aws_secret_access_key=(
            settings.s3_secret_access_key.get_secret_value() if settings.s3_secret_access_key else None
        ),
        # Path-style URLs work on every S3-compatible server, virtual-host style not always; so
        # do checksums only where S3 requires them (not every server knows the newer ones).
        config=Config(
            s3={"addressing_style": "path"},
            retries={"max_attempts": 3, "mode": "standard"},
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        ),
    )
    assert settings.s3_bucket is not None  # checked by the settings
    return S3PhotoStore(client=client, bucket=settings.s3_bucket)
