"""Reuse fingerprints: what intake keeps of each photo to recognise a later copy of it however
it was cropped, mirrored, rotated, resized, recompressed, brightened or marked, and the check
that confirms a candidate.

Two stages, each a well-known method (OpenCV's DCT, ORB and RANSAC):
1. Candidates come from perceptual hashes (a pHash: the sign of the 8x8 lowest DCT
   frequencies against their median). The earlier photo is stored as several *views*: the
   whole picture and crops of it at a grid of side offsets, so a copy cropped by up to 20 %
   lands near one of them. The new photo is looked up as its eight dihedral variants (mirror
   x rotation by 90°), so mirrored and rotated copies hash like the original's views.
2. A candidate is confirmed by local features: ORB keypoints on contrast-normalised grey
   images, matched and fitted with a RANSAC homography. A copy has many inliers spread over
   the picture; two unrelated photos (or two screenshots sharing only an app's chrome) do not.

Pure: numpy/OpenCV on pixels in memory, no I/O."""

from __future__ import annotations

import functools
import importlib
import io
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
from PIL import Image, ImageOps

if TYPE_CHECKING:
    import cv2


def _cv():  # noqa: ANN202 - the cv2 module
    """OpenCV, loaded the first time the multi-view check runs: with SIGAP_PHOTO_REUSE_VIEWS
    off (the default) an intake process never pays its import time and memory."""
    return importlib.import_module("cv2")

_HASH_SIDE = 32
_FEATURE_SIDE = 480  # long side of the grey image ORB works on
_MAX_KEYPOINTS = 400
_THUMBNAIL_SIDE = 96

# Confirmation: a copy keeps dozens of matching keypoints in one geometric frame, spread over
# the frame; unrelated scenes give a handful by chance.
MIN_INLIERS = 18
MIN_COVERAGE = 0.3
# Of the descriptor matches, the share the homography explains: nearly all for a copy; for two
# screenshots of one app, the shared bars explain a few and the chat bubbles scatter the rest.
MIN_INLIER_RATIO = 0.45  # share of a 4x4 grid over the new photo holding an inlier
# After the homography maps the new photo onto the earlier one, this share of the overlap's
# blocks must look alike: a copy agrees almost everywhere (an overlay spoils a few blocks), two
# screenshots of one app agree only on its bars.
MIN_AGREEMENT = 0.75
MIN_KEYPOINTS = 40  # fewer than this (screenshots, flat walls): too little texture to confirm
# Hash distance (of 64 bits) under which a candidate is looked at; and under which an
# unconfirmable candidate (too little texture) is still worth mentioning as weak.
CANDIDATE_DISTANCE = 14
WEAK_DISTANCE = 4

Strength = Literal["strong", "weak"]


# Per axis, the (near side, far side) cuts a stored view is made with.
_AXIS_CUTS = ((0.0, 0.0), (0.1, 0.0), (0.0, 0.1), (0.2, 0.0), (0.0, 0.2), (0.1, 0.1), (0.15, 0.15))


# The new photo is looked up whole and with 10 % more taken off each side in turn, which
# fills the gaps between the stored views' cuts (in each of the 8 dihedral variants).
_QUERY_CUTS = ((0.0, 0.0, 0.0, 0.0), (0.1, 0.0, 0.0, 0.0), (0.0, 0.1, 0.0, 0.0), (0.0, 0.0, 0.1, 0.0),
               (0.0, 0.0, 0.0, 0.1), (0.05, 0.05, 0.05, 0.05))


@functools.cache
def views() -> tuple[tuple[float, float, float, float], ...]:
    """The stored views as (left, top, right, bottom) cuts: the whole picture first, then every
    pairing of a horizontal and a vertical cut from _AXIS_CUTS."""
    return tuple(
        (left, top, right, bottom) for left, right in _AXIS_CUTS for top, bottom in _AXIS_CUTS
    )


@dataclass(frozen=True, slots=True)
class StoredFeatures:
    """ORB keypoints (feature-image pixels) and descriptors of one picture, as stored."""

    keypoints: np.ndarray  # (n, 2) float32
    descriptors: np.ndarray  # (n, 32) uint8
    feature_size: tuple[int, int]  # (width, height) of the feature image
    thumbnail: np.ndarray  # small grey picture (uint8), for comparing what the keypoints frame

    def to_blob(self) -> bytes:
        out = io.BytesIO()
        np.savez(
            out,
            keypoints=self.keypoints.astype(np.float32),
            descriptors=self.descriptors.astype(np.uint8),
            size=np.array(self.feature_size, dtype=np.int32),
            thumbnail=self.thumbnail.astype(np.uint8),
        )
        return out.getvalue()

    @classmethod
    def from_blob(cls, blob: bytes) -> "StoredFeatures":
        with np.load(io.BytesIO(blob), allow_pickle=False) as stored:
            size = stored["size"]
            return cls(stored["keypoints"], stored["descriptors"], (int(size[0]), int(size[1])), stored["thumbnail"])


@dataclass(frozen=True)
class Fingerprint:
    """One photo's hashes and features: `view_hashes` and `stored` are kept for later photos;
    `query_hashes` (the 8 dihedral variants of the whole picture) look up earlier ones."""

    view_hashes: tuple[int, ...]  # unsigned 64-bit, by view (index into `views()`)
    query_hashes: tuple[int, ...]
    stored: StoredFeatures
    feature_image: np.ndarray

    @functools.cached_property
    def _mirrored(self) -> StoredFeatures:
        return _features(np.ascontiguousarray(self.feature_image[:, ::-1]))

    def features(self, *, mirrored: bool) -> StoredFeatures:
        return self._mirrored if mirrored else self.stored


@dataclass(frozen=True, slots=True)
class Confirmation:
    """What the local-feature check found between a new photo and one candidate."""

    strength: Strength | None  # None: not the same picture
    inliers: int
    matches: int
    coverage: float
    mirrored: bool
    confidence: float  # 0..1
    agreement: float = 0.0  # share of overlapping blocks that look alike


    def to_json(self) -> dict[str, object]:
        return {
            "inliers": self.inliers,
            "matches": self.matches,
            "coverage": round(float(self.coverage), 2),
            "mirrored": bool(self.mirrored),
            "confidence": round(float(self.confidence), 2),
            "agreement": round(float(self.agreement), 2),
        }


def grey(image: Image.Image) -> np.ndarray:
    """The upright picture as 8-bit grey."""
    upright = ImageOps.exif_transpose(image)
    if upright.mode != "L":
        upright = upright.convert("RGB").convert("L")
    return np.asarray(upright, dtype=np.uint8)


def _phash(pixels: np.ndarray) -> int:
    small = _cv().resize(pixels, (_HASH_SIDE, _HASH_SIDE), interpolation=_cv().INTER_AREA).astype(np.float32)
    low = _cv().dct(small)[:8, :8].flatten()
    bits = low > np.median(low)
    return int.from_bytes(np.packbits(bits).tobytes(), "big")


def dihedral(pixels: np.ndarray) -> list[np.ndarray]:
    """The eight mirror/rotation variants: identity, rot90, rot180, rot270, then mirrored."""
    mirrored = pixels[:, ::-1]
    return [np.rot90(pixels, k) for k in range(4)] + [np.rot90(mirrored, k) for k in range(4)]


def _cut(pixels: np.ndarray, cut: tuple[float, float, float, float]) -> np.ndarray:
    height, width = pixels.shape
    left, top, right, bottom = cut
    return pixels[round(height * top) : height - round(height * bottom), round(width * left) : width - round(width * right)]


def view_hashes(pixels: np.ndarray) -> tuple[int, ...]:
    return tuple(_phash(_cut(pixels, view)) for view in views())


def _shrunk(pixels: np.ndarray, side: int) -> np.ndarray:
    """At most `side` pixels on the long side."""
    height, width = pixels.shape
    scale = side / max(height, width)
    if scale >= 1:
        return pixels
    return _cv().resize(pixels, (max(1, round(width * scale)), max(1, round(height * scale))), interpolation=_cv().INTER_AREA)


def _feature_image(pixels: np.ndarray) -> np.ndarray:
    return _shrunk(pixels, _FEATURE_SIDE)


@functools.cache
def _clahe() -> cv2.CLAHE:
    return _cv().createCLAHE(clipLimit=2.0, tileGridSize=(4, 4))


@functools.cache
def _orb() -> cv2.ORB:
    return _cv().ORB_create(nfeatures=_MAX_KEYPOINTS, fastThreshold=12)


def _features(feature_image: np.ndarray) -> StoredFeatures:
    size = (feature_image.shape[1], feature_image.shape[0])
    scale = _THUMBNAIL_SIDE / max(size)
    thumbnail = _cv().resize(feature_image, (max(1, round(size[0] * scale)), max(1, round(size[1] * scale))),
                           interpolation=_cv().INTER_AREA)
    # Contrast-normalised, so brightness/contrast edits move the same corners over the threshold.
    keypoints, descriptors = _orb().detectAndCompute(_clahe().apply(feature_image), None)
    if descriptors is None or not keypoints:
        return StoredFeatures(np.zeros((0, 2), np.float32), np.zeros((0, 32), np.uint8), size, thumbnail)
    return StoredFeatures(np.array([kp.pt for kp in keypoints], dtype=np.float32), descriptors, size, thumbnail)


def fingerprint(image: Image.Image) -> Fingerprint:
    image = ImageOps.exif_transpose(image)
    # Both stages work on small pictures: a large photo is first reduced by Pillow's draft
    # mode/reducer (cheap), and the hashes only ever see 32x32.
    image.thumbnail((2 * _FEATURE_SIDE, 2 * _FEATURE_SIDE), Image.Resampling.BILINEAR, reducing_gap=2.0)
    pixels = grey(image)
    # Views and variants are cut from a 256-pixel copy: the hash only ever sees 32x32.
    hash_base = _shrunk(pixels, 8 * _HASH_SIDE)
    query = tuple(
        _phash(np.ascontiguousarray(variant))
        for cut in _QUERY_CUTS
        for variant in dihedral(_cv().resize(_cut(hash_base, cut), (_HASH_SIDE, _HASH_SIDE), interpolation=_cv().INTER_AREA))
    )
    feature_image = _feature_image(pixels)
    return Fingerprint(
        view_hashes=view_hashes(hash_base),
        query_hashes=query,
        stored=_features(feature_image),
        feature_image=feature_image,
    )


def hamming(a: int, b: int) -> int:
    return ((a ^ b) & 0xFFFFFFFFFFFFFFFF).bit_count()


def confirm(new: Fingerprint, earlier: StoredFeatures, *, try_mirror: bool = True) -> Confirmation:
    """Match ORB features of the new photo (and, unless strong already, of its mirror image:
    ORB descriptors are not mirror-invariant) against an earlier photo's, fit a homography
    with RANSAC and judge the inliers."""
    best = _confirm_one(new.features(mirrored=False), earlier, mirrored=False)
    if try_mirror and best.strength != "strong":
        other = _confirm_one(new.features(mirrored=True), earlier, mirrored=True)
        if other.inliers > best.inliers:
            best = other
    return best


def _confirm_one(new: StoredFeatures, earlier: StoredFeatures, *, mirrored: bool) -> Confirmation:
    none = Confirmation(strength=None, inliers=0, matches=0, coverage=0.0, mirrored=mirrored, confidence=0.0)
    if len(new.descriptors) < 8 or len(earlier.descriptors) < 8:
        return none
    matcher = _cv().BFMatcher(_cv().NORM_HAMMING)
    pairs = matcher.knnMatch(new.descriptors, earlier.descriptors, k=2)
    good = [p[0] for p in pairs if len(p) == 2 and p[0].distance < 0.8 * p[1].distance and p[0].distance < 64]
    if len(good) < 8:
        return Confirmation(None, 0, len(good), 0.0, mirrored, 0.0)
    source = new.keypoints[[m.queryIdx for m in good]].reshape(-1, 1, 2)
    target = earlier.keypoints[[m.trainIdx for m in good]].reshape(-1, 1, 2)
    homography, mask = _cv().findHomography(source, target, _cv().RANSAC, 6.0, maxIters=500, confidence=0.99)
    if homography is None or mask is None:
        return Confirmation(None, 0, len(good), 0.0, mirrored, 0.0)
    inlier_mask = mask.ravel().astype(bool)
    inliers = int(inlier_mask.sum())
    points = new.keypoints[[m.queryIdx for m in good]][inlier_mask]
    width, height = new.feature_size
    cells = {(min(3, int(4 * x / width)), min(3, int(4 * y / height))) for x, y in points}
    coverage = len(cells) / 16
    if not _plausible(homography):
        return Confirmation(None, inliers, len(good), coverage, mirrored, 0.0)
    agreement = _agreement(new, earlier, homography)
    confidence = min(1.0, inliers / (3 * MIN_INLIERS)) * min(1.0, coverage / 0.6) * agreement
    # Many inliers bunched in part of the frame are still the same picture (a crop with a large
    # sticker); a few bunched ones are what two screenshots of one app share.
    strong = (
        inliers >= MIN_INLIERS
        and inliers >= MIN_INLIER_RATIO * len(good)
        and (coverage >= MIN_COVERAGE or (inliers >= 80 and coverage >= 0.2))
        and agreement >= MIN_AGREEMENT
    )
    return Confirmation(
        "strong" if strong else None, inliers, len(good), coverage, mirrored, float(confidence), agreement
    )


def _agreement(new: StoredFeatures, earlier: StoredFeatures, homography: np.ndarray) -> float:
    """The share of 6x6 blocks of the earlier thumbnail, covered by the new photo once warped
    onto it and with detail on at least one side, whose content agrees (correlation), after
    normalising both for brightness and contrast over the overlap."""
    to_new_thumb = np.diag([new.thumbnail.shape[1] / new.feature_size[0], new.thumbnail.shape[0] / new.feature_size[1], 1.0])
    to_earlier_thumb = np.diag(
        [earlier.thumbnail.shape[1] / earlier.feature_size[0], earlier.thumbnail.shape[0] / earlier.feature_size[1], 1.0]
    )
    mapping = to_earlier_thumb @ homography @ np.linalg.inv(to_new_thumb)
    height, width = earlier.thumbnail.shape
    warped = _cv().warpPerspective(new.thumbnail.astype(np.float32), mapping, (width, height))
    covered = _cv().warpPerspective(np.ones_like(new.thumbnail, np.float32), mapping, (width, height)) > 0.99
    if covered.sum() < 0.2 * width * height:
        return 0.0
    target = earlier.thumbnail.astype(np.float32)
    a = (warped - warped[covered].mean()) / (warped[covered].std() + 1e-3)
    b = (target - target[covered].mean()) / (target[covered].std() + 1e-3)
    agreeing = total = 0
    for y0, y1 in _blocks(height):
        for x0, x1 in _blocks(width):
            if not covered[y0:y1, x0:x1].all():
                continue
            block_a, block_b = a[y0:y1, x0:x1], b[y0:y1, x0:x1]
            spread_a, spread_b = block_a.std(), block_b.std()
            # Blank on both sides (a screenshot's background, a sky) proves nothing either way.
            if spread_a < 0.15 and spread_b < 0.15:
                continue
            total += 1
            if spread_a >= 0.15 and spread_b >= 0.15:
                correlation = float(((block_a - block_a.mean()) * (block_b - block_b.mean())).mean() / (spread_a * spread_b))
                agreeing += correlation > 0.5
    return float(agreeing) / total if total >= 6 else 0.0


def _blocks(length: int) -> list[tuple[int, int]]:
    edges = np.linspace(0, length, 7).round().astype(int)
    return list(zip(edges[:-1], edges[1:], strict=True))


def _plausible(homography: np.ndarray) -> bool:
    """A re-post is scaled, rotated, mirrored or cropped, not bent into a strong perspective."""
    affine = homography[:2, :2] / homography[2, 2]
    determinant = abs(float(np.linalg.det(affine)))
    perspective = float(np.abs(homography[2, :2]).max() / abs(homography[2, 2]))
    return 0.05 < determinant < 20 and perspective < 0.005


def enough_texture(features: StoredFeatures) -> bool:
    return len(features.descriptors) >= MIN_KEYPOINTS
