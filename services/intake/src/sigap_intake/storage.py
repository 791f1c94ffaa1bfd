"""Where photo files live. Originals are private and content-addressed (the SHA-256 of the
bytes is the name, so a retried upload writes nothing new); public copies carry no EXIF.
Local folder by default; an S3-compatible store would implement the same two methods."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Protocol


class PhotoStore(Protocol):
    def put(self, data: bytes, *, area: str, suffix: str) -> str: ...

    def get(self, key: str) -> bytes: ...


class LocalPhotoStore:
    def __init__(self, root: Path) -> None:
        self._root = root

    def put(self, data: bytes, *, area: str, suffix: str) -> str:
        digest = hashlib.sha256(data).hexdigest()
        key = f"{area}/{digest[:2]}/{digest[2:4]}/{digest}{suffix}"
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
