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
   images, matched and fitted with a RANSAC homography. A copy has many inliers, spread over
   the picture or (a tight crop, a sticker) bunched where the keypoints are, and once warped
   onto the earlier photo it looks alike block by block, faint detail included; two unrelated
   photos have few inliers, and two screenshots sharing an app's chrome differ in the rest.

Pure: numpy/OpenCV on pixels in memory, no I/O."""

from __future__ import annotations

import functools
import importlib
import io
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
from PIL import Image, ImageOps

from sigap_intake.photos import synthetic

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
MIN_COVERAGE = 0.3  # share of a 4x4 grid over the new photo holding an inlier
# Of the descriptor matches, the share the homography explains: nearly all for a copy; for two
# screenshots of one app, the shared bars explain a few and the chat bubbles scatter the rest.
MIN_INLIER_RATIO = 0.45
# After the similarity maps the new photo onto the earlier one, this share of the overlap's
# blocks with detail relative to the picture's contrast must look alike: a copy agrees almost
# everywhere, unrelated scenes with 18 or more inliers nowhere (0.00). An overlay or clipped
# highlights spoil some blocks of a copy (0.67-0.72): those copies are let through by the
# EXPLAINED_* rule below, not by lowering this (at 0.65 the --images 1000 run confirmed 3
# screenshot pairs of one app).
MIN_AGREEMENT = 0.75
# The same comparison over every block with visible detail in grey levels (DETAIL_GREY), not
# relative to the picture's own contrast: there the faint bubbles of two screenshots of one app
# count, and disagree. Measured on the copies and screenshot pairs of `benchmarks.intake.evidence
# --images 1000 --per-class 60` (1 440 copies each against its original, 100 x 100 screenshots
# of one app, both mirror passes; /tmp study, the figures are what `benchmarks.intake.confirmation`
# prints): copies whose inlier ratio is under EXPLAINED_RATIO at least 0.78; screenshot pairs
# with an inlier ratio >= MIN_INLIER_RATIO at most 0.67, and one of them (70/119 inliers,
# agreement 0.77, detail 0.66) was confirmed at the former 0.6.
MIN_DETAIL_AGREEMENT = 0.7
# Nearly every descriptor match explained by one frame, and many of them: a copy. Two screenshots
# of one app share their bars, but their bubbles scatter the rest of the matches: of 8 471
# screenshot passes with >= 18 inliers the highest inlier ratio was 0.73; of the 1 440 copies,
# 1 183 reached 0.9, and there an overlay or a brightness edit that clips highlights leaves an
# agreement as low as 0.67 and a detail agreement as low as 0.65 (3 copies missed at 0.75).
# Such copies need only the looser agreements below. Unrelated scenes: agreement 0.00. At 0.9
# the --quick run missed 2 brightened copies (inlier ratio 0.88 and 0.89, detail 0.67-0.68).
EXPLAINED_RATIO = 0.85
EXPLAINED_MIN_INLIERS = 2 * MIN_INLIERS
EXPLAINED_MIN_AGREEMENT = 0.6
EXPLAINED_MIN_DETAIL_AGREEMENT = 0.6
DETAIL_GREY = 3.0  # block standard deviation, in the earlier thumbnail's grey levels
# Inliers bunched in a few cells (ORB's 400 strongest corners all on one building, a crop that
# keeps that part, a sticker over the rest) are still the same picture when they cover at least
# 3 of the 16 cells and nearly every detailed block agrees: two screenshots of one app sharing
# their bars reach 0.57 at most there; the 16 of 8 000 unrelated scene passes with 18 or more
# inliers (100 new scenes x 40 stored, both mirror passes) 0.0.
BUNCHED_MIN_COVERAGE = 0.15
BUNCHED_MIN_DETAIL_AGREEMENT = 0.8
# A hard crop leaves many of a copy's descriptor matches pointing outside the frame they share,
# so the homography explains fewer of them (0.35-0.44 for 3 crops `benchmarks.intake.evidence
# --images 2000 --per-class 60` missed), yet the warped pictures agree everywhere (1.00 both).
# Inliers spread over the frame with both agreements this high are the same picture: two
# screenshots of one app reach a detail agreement of 0.67 at most, unrelated scenes 0.00.
CROPPED_MIN_RATIO = 0.35
CROPPED_MIN_AGREEMENT = 0.85
# The homography is fitted with OpenCV's USAC (LO-RANSAC): on unrelated candidates (most of
# them, ~15 matches) it takes 0.05 ms where the classic cv2.RANSAC took 3-5 ms, with the same
# inlier counts on the benchmark's pairs. A copy must have inliers >= MIN_INLIER_RATIO of its
# matches, so a 4-match sample is all inliers with probability >= 0.45^4 = 0.041; 200 samples
# miss such a model with probability (1 - 0.041)^200 = 2e-4, a typical copy (ratio 0.98) never.
# A hard crop confirmed under CROPPED_MIN_RATIO (0.35: 0.015 per sample) would be missed by plain
# sampling 5 % of the time; USAC's local optimisation grows a partial model from fewer all-inlier
# samples, and the three crops above were found at 200.
RANSAC_ITERATIONS = 200
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
    # A rendered picture (a screenshot, an app capture: `synthetic.looks_synthetic`), whose
    # matches are never more than weak: two screenshots of one app share their bars and fonts.
    rendered: bool = False

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
    detail_agreement: float = 0.0  # the same over blocks with detail in absolute grey levels

    def to_json(self) -> dict[str, object]:
        return {
            "inliers": self.inliers,
            "matches": self.matches,
            "coverage": round(float(self.coverage), 2),
            "mirrored": bool(self.mirrored),
            "confidence": round(float(self.confidence), 2),
            "agreement": round(float(self.agreement), 2),
            "detail_agreement": round(float(self.detail_agreement), 2),
        }


def grey(image: Image.Image) -> np.ndarray:
    """The upright picture as 8-bit grey."""
    upright = ImageOps.exif_transpose(image)
    if upright.mode != "L":
        upright = upright.convert("RGB").convert("L")
    return np.asarray(upright, dtype=np.uint8)


def upright_grey(image: Image.Image, *, own: bool = False) -> np.ndarray:
    """The picture as 8-bit grey, upright, at most twice the feature side on the long side: all
    the hashes and features ever look at.

    `own`: the caller hands over a picture fresh from Image.open that it does not use again. A
    JPEG is then decoded straight to its luma and scaled in the DCT domain (Pillow's draft mode),
    which skips the colour conversion, the full-size copy and most of a large photo's pixels.
    Its grey levels differ from the RGB-to-grey path by a few levels (at most 10 on the
    benchmark's scenes), moving the hashes by 0.1 bit on average, at most 4 of 64. Otherwise
    the caller's picture is left as it is (decoded, if it was not yet) and the grey is exactly
    what it always was, so stored hashes stay comparable bit for bit."""
    long_side = 2 * _FEATURE_SIDE
    if own and image.tile:
        width, height = image.size
        scale = long_side / max(width, height)
        # Per axis, so the long side stays at least long_side whatever the aspect ratio.
        image.draft("L", (max(1, int(width * scale)), max(1, int(height * scale))) if scale < 1 else None)
    else:
        image = ImageOps.exif_transpose(image)  # a copy, turned upright
    image.thumbnail((long_side, long_side), Image.Resampling.BILINEAR, reducing_gap=2.0)
    # Turned upright after the resize when owned: turning a 960-pixel picture is cheap.
    return grey(image)


@functools.cache
def _dct_rows() -> np.ndarray:
    """The 8 lowest rows of the orthonormal DCT-II matrix over _HASH_SIDE points: what cv2.dct
    computes, so D @ X @ D.T is cv2.dct(X)[:8, :8] for a whole stack of squares at once."""
    points, frequencies = np.arange(_HASH_SIDE), np.arange(8)[:, None]
    rows = np.sqrt(2 / _HASH_SIDE) * np.cos(np.pi * (2 * points + 1) * frequencies / (2 * _HASH_SIDE))
    rows[0] /= np.sqrt(2)
    return rows


def _phashes(squares: np.ndarray) -> list[int]:
    """pHashes of a (n, _HASH_SIDE, _HASH_SIDE) stack of grey squares, in one matrix product."""
    rows = _dct_rows()
    low = (rows @ squares.astype(np.float64) @ rows.T).reshape(len(squares), 64)
    bits = np.packbits(low > np.median(low, axis=1, keepdims=True), axis=1)
    return [int.from_bytes(row.tobytes(), "big") for row in bits]


def _square(pixels: np.ndarray) -> np.ndarray:
    return _cv().resize(pixels, (_HASH_SIDE, _HASH_SIDE), interpolation=_cv().INTER_AREA)


def dihedral(pixels: np.ndarray) -> list[np.ndarray]:
    """The eight mirror/rotation variants: identity, rot90, rot180, rot270, then mirrored."""
    mirrored = pixels[:, ::-1]
    return [np.rot90(pixels, k) for k in range(4)] + [np.rot90(mirrored, k) for k in range(4)]


def _cut(pixels: np.ndarray, cut: tuple[float, float, float, float]) -> np.ndarray:
    height, width = pixels.shape
    left, top, right, bottom = cut
    return pixels[round(height * top) : height - round(height * bottom), round(width * left) : width - round(width * right)]


def view_hashes(pixels: np.ndarray) -> tuple[int, ...]:
    return tuple(_phashes(np.stack([_square(_cut(pixels, view)) for view in views()])))


def query_hashes(pixels: np.ndarray) -> tuple[int, ...]:
    """Each query cut's eight dihedral variants, in `_QUERY_CUTS` order."""
    return tuple(_phashes(np.stack([
        variant for cut in _QUERY_CUTS for variant in dihedral(_square(_cut(pixels, cut)))
    ])))


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


def fingerprint(image: Image.Image, *, own: bool = False) -> Fingerprint:
    """`own`: the picture is handed over, fresh from Image.open (`upright_grey`)."""
    return grey_fingerprint(upright_grey(image, own=own))


def grey_fingerprint(pixels: np.ndarray, *, views: bool = True) -> Fingerprint:
    """`fingerprint` of the picture `upright_grey` gave. `views`: also the view and query hashes
    (the SIFT keys alone need only the features)."""
    # Views and variants are cut from a 256-pixel copy: the hash only ever sees 32x32.
    hash_base = _shrunk(pixels, 8 * _HASH_SIDE)
    feature_image = _feature_image(pixels)
    return Fingerprint(
        view_hashes=view_hashes(hash_base) if views else (),
        query_hashes=query_hashes(hash_base) if views else (),
        stored=_features(feature_image),
        feature_image=feature_image,
        rendered=synthetic.looks_synthetic(hash_base),
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
    homography, mask = _cv().findHomography(source, target, _cv().USAC_DEFAULT, 6.0, maxIters=RANSAC_ITERATIONS,
                                             confidence=0.99)
    if homography is None or mask is None:
        return Confirmation(None, 0, len(good), 0.0, mirrored, 0.0)
    inlier_mask = mask.ravel().astype(bool)
    inliers = int(inlier_mask.sum())
    points = new.keypoints[[m.queryIdx for m in good]][inlier_mask]
    width, height = new.feature_size
    cells = {(min(3, int(4 * x / width)), min(3, int(4 * y / height))) for x, y in points}
    coverage = len(cells) / 16
    # Too few inliers to confirm whatever the pictures look like: most unrelated candidates.
    if inliers < MIN_INLIERS or not _plausible(homography):
        return Confirmation(None, inliers, len(good), coverage, mirrored, 0.0)
    agreement, detail_agreement = _agreement(new, earlier, _similarity(source[inlier_mask], target[inlier_mask], homography))
    confidence = min(1.0, inliers / (3 * MIN_INLIERS)) * min(1.0, coverage / 0.6) * agreement
    strong = _strong(inliers=inliers, matches=len(good), coverage=coverage, agreement=agreement,
                     detail_agreement=detail_agreement)
    return Confirmation(
        "strong" if strong else None, inliers, len(good), coverage, mirrored, float(confidence), agreement,
        detail_agreement,
    )


def _strong(*, inliers: int, matches: int, coverage: float, agreement: float, detail_agreement: float) -> bool:
    """The rule on what the check measured: enough inliers, most matches explained, spread over
    the picture (or bunched with nearly every detailed block agreeing), and the warped pictures
    alike; alike more loosely when nearly every match is explained (EXPLAINED_RATIO), and
    alike nearly everywhere when fewer are (CROPPED_*)."""
    if inliers < MIN_INLIERS or inliers < CROPPED_MIN_RATIO * matches:
        return False
    spread = coverage >= MIN_COVERAGE
    if inliers < MIN_INLIER_RATIO * matches:
        return spread and min(agreement, detail_agreement) >= CROPPED_MIN_AGREEMENT
    bunched = coverage >= BUNCHED_MIN_COVERAGE and detail_agreement >= BUNCHED_MIN_DETAIL_AGREEMENT
    if not (spread or bunched):
        return False
    if inliers >= EXPLAINED_MIN_INLIERS and inliers >= EXPLAINED_RATIO * matches:
        return agreement >= EXPLAINED_MIN_AGREEMENT and detail_agreement >= EXPLAINED_MIN_DETAIL_AGREEMENT
    return agreement >= MIN_AGREEMENT and detail_agreement >= MIN_DETAIL_AGREEMENT


def _similarity(source: np.ndarray, target: np.ndarray, homography: np.ndarray) -> np.ndarray:
    """The inliers' mapping as a similarity (shift, scale, rotation), what a re-post does, to
    compare the pictures with. A homography fitted to inliers bunched in one corner extrapolates
    badly over the rest (a copy's agreement fell to 0), and one fitted to chance inliers bends to
    make unrelated pictures agree (screenshot pairs' detail agreement: up to 0.71 through the
    homography, 0.57 through the similarity; copies alike under both)."""
    affine, _ = _cv().estimateAffinePartial2D(source, target, method=_cv().LMEDS)
    return homography if affine is None else np.vstack([affine, [0.0, 0.0, 1.0]])


def _agreement(new: StoredFeatures, earlier: StoredFeatures, homography: np.ndarray) -> tuple[float, float]:
    """How alike the two thumbnails are once the new one is warped onto the earlier one, after
    matching the new one's brightness and contrast to the earlier one's over the overlap. Two
    shares of agreeing blocks (correlation > 0.5), each over the blocks with detail on at least
    one side: (6x6 blocks, detail relative to the picture's contrast; 8x8 blocks, detail in
    absolute grey levels). The first ignores what is faint next to the picture's strongest
    contrasts (a sky's gradient); the second counts it (two screenshots' different bubbles)."""
    to_new_thumb = np.diag([new.thumbnail.shape[1] / new.feature_size[0], new.thumbnail.shape[0] / new.feature_size[1], 1.0])
    to_earlier_thumb = np.diag(
        [earlier.thumbnail.shape[1] / earlier.feature_size[0], earlier.thumbnail.shape[0] / earlier.feature_size[1], 1.0]
    )
    mapping = to_earlier_thumb @ homography @ np.linalg.inv(to_new_thumb)
    height, width = earlier.thumbnail.shape
    warped = _cv().warpPerspective(new.thumbnail.astype(np.float32), mapping, (width, height))
    covered = _cv().warpPerspective(np.ones_like(new.thumbnail, np.float32), mapping, (width, height)) > 0.99
    if covered.sum() < 0.2 * width * height:
        return 0.0, 0.0
    target = earlier.thumbnail.astype(np.float32)
    target_mean, target_spread = target[covered].mean(), target[covered].std() + 1e-3
    a = (warped - warped[covered].mean()) / (warped[covered].std() + 1e-3)
    b = (target - target_mean) / target_spread
    relative = _agreeing_share(a, b, covered, parts=6, blank=0.15)
    if relative is None:
        # A hard crop leaves fewer than MIN_BLOCKS of the 6 x 6 blocks wholly inside the overlap:
        # measured on the finer grid the detail agreement uses, not counted as disagreement.
        relative = _agreeing_share(a, b, covered, parts=8, blank=0.15)
    # In the earlier thumbnail's grey levels, DETAIL_GREY there is DETAIL_GREY / spread here.
    detail = _agreeing_share(a, b, covered, parts=8, blank=DETAIL_GREY / target_spread)
    return relative or 0.0, detail or 0.0


MIN_BLOCKS = 6  # blocks counted, fewer and an agreement is not measured


def _agreeing_share(a: np.ndarray, b: np.ndarray, covered: np.ndarray, *, parts: int, blank: float) -> float | None:
    """Over a parts x parts grid of blocks lying wholly in the overlap and with detail (standard
    deviation >= blank) on at least one side, the share whose two sides both have detail and
    correlate (> 0.5); None when fewer than MIN_BLOCKS are counted. Block sums come from
    np.add.reduceat: one pass, no loop over blocks."""
    height, width = covered.shape
    rows, columns = _block_starts(height, parts), _block_starts(width, parts)

    def block_sums(values: np.ndarray) -> np.ndarray:
        return np.add.reduceat(np.add.reduceat(values, rows, axis=0), columns, axis=1)

    size = block_sums(np.ones_like(a))
    inside = block_sums(covered.astype(np.float32)) >= size
    mean_a, mean_b = block_sums(a) / size, block_sums(b) / size
    spread_a = np.sqrt(np.maximum(block_sums(a * a) / size - mean_a**2, 0.0))
    spread_b = np.sqrt(np.maximum(block_sums(b * b) / size - mean_b**2, 0.0))
    covariance = block_sums(a * b) / size - mean_a * mean_b
    detailed_a, detailed_b = spread_a >= blank, spread_b >= blank
    # Blank on both sides (a screenshot's background, a sky) proves nothing either way.
    counted = inside & (detailed_a | detailed_b)
    both = counted & detailed_a & detailed_b
    correlation = np.where(both, covariance / np.maximum(spread_a * spread_b, 1e-9), 0.0)
    total = int(counted.sum())
    return float((both & (correlation > 0.5)).sum()) / total if total >= MIN_BLOCKS else None


def _block_starts(length: int, parts: int) -> np.ndarray:
    # Unique: a picture fewer than `parts` pixels across has fewer, one-pixel blocks.
    return np.unique(np.linspace(0, length, parts + 1).round().astype(int)[:-1])


def _plausible(homography: np.ndarray) -> bool:
    """A re-post is scaled, rotated, mirrored or cropped, not bent into a strong perspective."""
    affine = homography[:2, :2] / homography[2, 2]
    determinant = abs(float(np.linalg.det(affine)))
    perspective = float(np.abs(homography[2, :2]).max() / abs(homography[2, 2]))
    return 0.05 < determinant < 20 and perspective < 0.005


def enough_texture(features: StoredFeatures) -> bool:
    return len(features.descriptors) >= MIN_KEYPOINTS
