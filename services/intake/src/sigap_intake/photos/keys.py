"""SIFT descriptor keys for the reuse index (issue 14): a photo's exact-match keys, so that the
earlier photo a re-posted copy came from is found among a million by an index lookup.

Scheme N6 (measured in `benchmarks.intake.evidence_sift`; see docs/reuse-detection.md "Keys from
local features"): the upright grey picture at a long side of 256 pixels, its grey levels
stretched to mean 128 and spread 48 (so a brightness/contrast edit does not move SIFT's contrast
threshold), OpenCV SIFT keypoints of at least 3 pixels, the 240 largest. Each descriptor is taken
as RootSIFT, projected on 64 principal components (`reuse_keys.npz`, fitted by
`benchmarks.intake.fit_reuse_keys`) and cut into two keys of 36 signs each.

- stored: the 32 largest keypoint places (one descriptor a place; keypoints reaching into the
  outer 10 % of any side, what a crop cuts, ranked last): ~60 keys.
- probes: the 48 largest descriptors and their mirror permutations (a mirrored copy's
  descriptors, without a second SIFT pass), each key also with its 3 least certain signs
  flipped in every combination: at most 1 536.

A copy shares several keys with its original; unrelated photos share next to none. Pure: numpy
and OpenCV on pixels in memory; OpenCV is imported the first time keys are computed."""

from __future__ import annotations

import functools
import importlib
import itertools
from collections import Counter
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from sigap_intake.photos import synthetic

KEY_SCHEME = "sift-n6"

SIDE = 256  # long side of the grey picture SIFT sees (it doubles it for its first octave)
OCTAVE_LAYERS = 3
MIN_SIZE = 3.0  # smaller keypoints, at SIDE, do not survive a resize
POOL = 240  # the largest keypoints kept
GREY_MEAN, GREY_SPREAD = 128.0, 48.0
STORED = 32  # keypoint places keyed per stored photo
QUERIED = 48  # descriptors probed per lookup (and their mirror permutations)
BORDER = 0.10  # stored keypoints reaching into this share of any side are ranked last
FLIPS = 3
TABLE_SHIFT = 48  # key = signs + (table << TABLE_SHIFT): below 2**63, a PostgreSQL bigint
COMPONENTS, BITS, TABLES = 64, 36, 2

PROJECTION_FILE = Path(__file__).with_name("reuse_keys.npz")


def _cv():  # noqa: ANN202 - the cv2 module
    return importlib.import_module("cv2")


@dataclass(frozen=True, slots=True)
class PhotoKeys:
    stored: tuple[int, ...]  # distinct, what the index keeps for this photo
    probes: tuple[int, ...]  # distinct, what a lookup of this photo asks for


@dataclass(frozen=True)
class Features:
    """A picture's SIFT keypoints (largest first) and their descriptors."""

    points: np.ndarray  # (k, 2) float32, at SIDE
    sizes: np.ndarray  # (k,) float32
    descriptors: np.ndarray  # (k, 128) uint8
    shape: tuple[int, int]  # (height, width) of the grey picture


@dataclass(frozen=True)
class Projection:
    """RootSIFT descriptors centred on `mean`, projected on `components`; key table t is the signs
    of the projections `tables[t]`."""

    mean: np.ndarray  # (128,) float32
    components: np.ndarray  # (128, COMPONENTS) float32
    tables: np.ndarray  # (TABLES, BITS) int64

    def project(self, descriptors: np.ndarray) -> np.ndarray:
        return (root_sift(descriptors) - self.mean) @ self.components


def fit_projection(descriptors: np.ndarray, *, seed: int, components: int = COMPONENTS, bits: int = BITS,
                   tables: int = TABLES) -> Projection:
    """Principal components of (n, 128) SIFT descriptors of pictures that are never stored; table 0
    takes the first `bits` components, the others a seeded choice. Each component's sign is fixed
    (its largest entry positive), so the fit does not depend on how the SVD happens to sign it."""
    training = root_sift(descriptors)
    mean = training.mean(axis=0)
    _, _, vt = np.linalg.svd(training - mean, full_matrices=False)
    chosen = vt[:components]
    signs = np.sign(chosen[np.arange(len(chosen)), np.abs(chosen).argmax(axis=1)])
    rng = np.random.default_rng(seed)
    table_indexes = [np.arange(bits)] + [np.sort(rng.choice(components, bits, replace=False)) for _ in range(tables - 1)]
    return Projection(mean.astype(np.float32), (chosen * signs[:, None]).T.astype(np.float32),
                      np.stack(table_indexes).astype(np.int64))


@functools.cache
def shipped_projection() -> Projection:
    with np.load(PROJECTION_FILE) as data:
        return Projection(data["mean"], data["components"], data["tables"])


MIRROR = np.arange(128).reshape(4, 4, 8)[::-1][:, :, (-np.arange(8)) % 8].reshape(-1)
"""descriptor[MIRROR] is the descriptor of the mirrored picture at the mirrored keypoint: OpenCV
lays a descriptor out as 4 rows x 4 columns of cells x 8 orientation bins; a mirror reverses the
rows of the keypoint's frame and negates every gradient angle."""


def root_sift(descriptors: np.ndarray) -> np.ndarray:
    """L1-normalised, square root: brightness and contrast barely move it."""
    d = descriptors.astype(np.float32)
    return np.sqrt(d / (d.sum(axis=-1, keepdims=True) + 1e-6))


def grey_picture(image: Image.Image, side: int = SIDE, *, own: bool = False) -> np.ndarray:
    """Upright grey picture with long side `side`. `own`: the caller hands over a picture fresh
    from Image.open; a JPEG is then decoded at 1/2..1/8 scale (libjpeg's DCT scaling) where
    that still leaves twice `side`."""
    if own and getattr(image, "tile", None):  # a picture made in memory has nothing to draft
        image.draft("L", (2 * side, 2 * side))
    image = ImageOps.exif_transpose(image)
    return at_side(np.asarray(image.convert("L"), dtype=np.uint8), side)


def at_side(pixels: np.ndarray, side: int = SIDE) -> np.ndarray:
    """A grey picture scaled to long side `side`."""
    height, width = pixels.shape
    scale = side / max(height, width)
    if scale == 1:
        return pixels
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    cv = _cv()
    return cv.resize(pixels, size, interpolation=cv.INTER_AREA if scale < 1 else cv.INTER_LINEAR)


def features(image: Image.Image, *, own: bool = False) -> Features:
    """One SIFT pass: the POOL largest keypoints of at least MIN_SIZE, described; none for a
    rendered picture (`synthetic.looks_synthetic`: a screenshot is neither keyed nor probed)."""
    return grey_features(grey_picture(image, own=own))


def grey_features(grey: np.ndarray) -> Features:
    """`features` of an upright grey picture already at long side SIDE."""
    if synthetic.looks_synthetic(grey):  # a screenshot's generic features would match every other
        return Features(np.zeros((0, 2), np.float32), np.zeros(0, np.float32), np.zeros((0, 128), np.uint8), grey.shape)
    grey = grey.astype(np.float32)
    stretched = (grey - grey.mean()) * (GREY_SPREAD / (grey.std() + 1e-6)) + GREY_MEAN
    pixels = np.clip(stretched, 0, 255).astype(np.uint8)
    sift = _cv().SIFT_create(nOctaveLayers=OCTAVE_LAYERS)
    keypoints = sorted((kp for kp in sift.detect(pixels, None) if kp.size >= MIN_SIZE), key=lambda kp: -kp.size)[:POOL]
    keypoints, descriptors = sift.compute(pixels, keypoints) if keypoints else ([], None)
    if descriptors is None:
        descriptors = np.zeros((0, 128), np.float32)
    return Features(
        np.array([kp.pt for kp in keypoints], np.float32).reshape(-1, 2),
        np.array([kp.size for kp in keypoints], np.float32),
        np.clip(np.round(descriptors), 0, 255).astype(np.uint8),
        pixels.shape,
    )


def key_values(signs: np.ndarray, tables: np.ndarray) -> np.ndarray:
    """(..., tables) keys from (..., components) booleans: table t's signs as bits, plus t << 48."""
    weights = 1 << np.arange(tables.shape[1], dtype=np.int64)
    values = (signs[..., tables].astype(np.int64) * weights).sum(-1)
    return values + (np.arange(len(tables), dtype=np.int64) << TABLE_SHIFT)


def with_flips(base: np.ndarray, uncertain: np.ndarray, flips: int) -> np.ndarray:
    """The distinct probe keys: each key of `base` (n, tables), and the key with its `flips`
    least certain bits (`uncertain`, (n, tables, bits), least certain first) flipped in every
    combination."""
    weakest = uncertain[..., :flips]
    out = [base.ravel()]
    for count in range(1, flips + 1):
        for combo in itertools.combinations(range(flips), count):
            mask = np.zeros(base.shape, np.int64)
            for position in combo:
                mask |= np.int64(1) << weakest[..., position].astype(np.int64)
            out.append((base ^ mask).ravel())
    return np.unique(np.concatenate(out))


def central_first(found: Features, band: float = BORDER) -> np.ndarray:
    """Indexes, largest first, but keypoints whose circle reaches into the outer `band` of any
    side (what a crop may cut) after all the others."""
    height, width = found.shape
    x, y, r = found.points[:, 0], found.points[:, 1], found.sizes / 2
    inside = ((x - r >= band * width) & (x + r <= (1 - band) * width)
              & (y - r >= band * height) & (y + r <= (1 - band) * height))
    return np.lexsort((-found.sizes, ~inside))


def one_per_place(found: Features, order: np.ndarray) -> np.ndarray:
    """`order` keeping the first of the keypoints at one place (SIFT repeats a keypoint once per
    orientation peak; a lookup probes all of its own)."""
    places = np.round(np.column_stack([found.points, found.sizes]), 1)[order]
    _, first = np.unique(places, axis=0, return_index=True)
    return order[np.sort(first)]


def stored_keys(found: Features, projection: Projection) -> np.ndarray:
    chosen = one_per_place(found, central_first(found))[:STORED]
    return np.unique(key_values(projection.project(found.descriptors[chosen]) > 0, projection.tables).ravel())


def probe_keys(found: Features, projection: Projection) -> np.ndarray:
    chosen = np.argsort(-found.sizes, kind="stable")[:QUERIED]
    descriptors = found.descriptors[chosen]
    projected = projection.project(np.concatenate([descriptors, descriptors[:, MIRROR]]))
    tables = projection.tables
    return with_flips(key_values(projected > 0, tables), np.argsort(np.abs(projected)[:, tables], axis=-1), FLIPS)


def photo_keys(image: Image.Image, *, own: bool = False) -> PhotoKeys:
    """The keys to store for a photo and the keys to look it up by, from one SIFT pass over the
    upright picture. `own`: as `grey_picture` (keys of one index must all be made one way)."""
    return keys_of(grey_features(grey_picture(image, own=own)))


def grey_keys(grey: np.ndarray) -> PhotoKeys:
    """`photo_keys` of an upright grey picture of any size (scaled to long side SIDE here): the
    upload path hands over the grey picture the ORB fingerprint is taken from, so a photo is
    turned to grey once (fingerprint.upright_grey)."""
    return keys_of(grey_features(at_side(grey)))


def keys_of(found: Features) -> PhotoKeys:
    projection = shipped_projection()
    return PhotoKeys(tuple(stored_keys(found, projection).tolist()), tuple(probe_keys(found, projection).tolist()))


def rank_hits(rows: Iterable[tuple[Hashable, int]]) -> list[tuple[Hashable, int]]:
    """(photo, key) rows a lookup found -> photos by distinct keys hit, most first; ties in the
    order of their first row."""
    seen: set[tuple[Hashable, int]] = set()
    counts: Counter[Hashable] = Counter()
    for row in rows:
        if row not in seen:
            seen.add(row)
            counts[row[0]] += 1
    return counts.most_common()
