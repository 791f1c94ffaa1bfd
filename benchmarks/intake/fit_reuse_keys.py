"""Fits the projection of the reuse keys (`sigap_intake.photos.keys`, scheme N6) and writes the
file intake ships (`photos/reuse_keys.npz`): the mean RootSIFT descriptor, 64 principal
components and the two key tables' component indexes.

By default it fits on generated natural scenes (`benchmarks.intake.evidence.natural_scene`) of
seeds 900 000 000 + n, a range no benchmark corpus draws from (the corpora use seed * 1 000 000
+ offset with seeds in the tens, and the key studies train on seed * 1 000 000 + 400 000 + n), so
no measured photo ever trained the projection; or, `--photos DIR`, on the photos in a directory
(sorted by name). Deterministic: the same inputs give the same file, byte for byte.

    uv run python -m benchmarks.intake.fit_reuse_keys [--scenes 200] [--photos DIR] [--out PATH]
"""

from __future__ import annotations

import argparse
import io
import time
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image

from benchmarks.intake.evidence import _jpeg, natural_scene
from sigap_intake.photos import keys

SEED_BASE = 900_000_000
TABLE_SEED = 14  # the seed of table 1's choice of components
_PHOTO_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp"}


def training_pictures(*, scenes: int, photos: Path | None) -> list[bytes]:
    if photos is not None:
        return [path.read_bytes() for path in sorted(photos.iterdir()) if path.suffix.lower() in _PHOTO_SUFFIXES]
    return [_jpeg(natural_scene(SEED_BASE + n)) for n in range(scenes)]


def fit(pictures: list[bytes]) -> keys.Projection:
    descriptors = [keys.features(Image.open(io.BytesIO(data)), own=True).descriptors for data in pictures]
    return keys.fit_projection(np.concatenate(descriptors), seed=TABLE_SEED)


def write(projection: keys.Projection, path: Path) -> None:
    """An .npz numpy.load reads, with fixed entry dates (numpy.savez stamps the current time)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in ("mean", "components", "tables"):
            entry = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.ascontiguousarray(getattr(projection, name)), allow_pickle=False)
            archive.writestr(entry, buffer.getvalue())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenes", type=int, default=200, help="generated scenes to fit on")
    parser.add_argument("--photos", type=Path, help="fit on the photos in this directory instead")
    parser.add_argument("--out", type=Path, default=keys.PROJECTION_FILE)
    args = parser.parse_args()
    started = time.perf_counter()
    pictures = training_pictures(scenes=args.scenes, photos=args.photos)
    projection = fit(pictures)
    write(projection, args.out)
    print(f"fitted on {len(pictures)} pictures"
          f" ({'photos in ' + str(args.photos) if args.photos else f'scenes of seeds {SEED_BASE}+'}),"
          f" wrote {args.out} ({args.out.stat().st_size} bytes) in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
