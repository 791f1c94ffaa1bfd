"""Keys for the reuse index from SIFT descriptors: the features, the projection and the keys and
probes of every scheme `benchmarks.intake.evidence_sift` measures (read its docstring for the
schemes and the figures). The pieces the chosen scheme N6 shares with production (RootSIFT, the
mirror permutation, key values, flipped probes, the PCA fit) are `sigap_intake.photos.keys`'s."""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

from sigap_intake.photos import keys as production
from sigap_intake.photos.keys import MIRROR, root_sift, with_flips
from sigap_intake.photos.keys import key_values as _key_values

_KEEP = 240  # keypoints (largest response) kept per picture at extraction; schemes take the first of these


@dataclass(frozen=True)
class Config:
    """How a picture's features are extracted."""

    side: int  # long side of the grey picture (SIFT doubles it internally for its first octave)
    layers: int  # SIFT nOctaveLayers
    min_size: float  # smallest keypoint size kept, in pixels at `side`
    pool: str = "response"  # which _KEEP keypoints are kept: the strongest ("response") or largest ("size")
    # Grey levels stretched linearly to mean 128, standard deviation 48 before SIFT, so that a
    # brightness/contrast edit (nearly linear in grey) does not move SIFT's contrast threshold.
    normalise: bool = False


CONFIGS = {
    "s512": Config(512, 3, 6.0),
    "s384": Config(384, 3, 4.5),
    "s256": Config(256, 3, 3.0),
    "s256l2": Config(256, 2, 3.0),
    "s256z": Config(256, 3, 3.0, pool="size"),
    "s256zn": Config(256, 3, 3.0, pool="size", normalise=True),
}


@dataclass
class Features:
    points: np.ndarray  # (k, 2) at the config's side
    sizes: np.ndarray  # (k,)
    responses: np.ndarray  # (k,)
    octaves: np.ndarray  # (k,) SIFT octave (-1 = the doubled picture)
    descriptors: np.ndarray  # (k, 128) uint8, SIFT's own
    shape: tuple[int, int]  # (height, width) of the grey picture
    seconds: float  # decode at reduced scale + grey + resize + detect + describe


def grey_picture(image: Image.Image, side: int) -> np.ndarray:
    """Upright grey picture with long side `side` (a JPEG fresh from Image.open decoded at reduced scale)."""
    return production.grey_picture(image, side, own=True)


def extract(image: Image.Image, config: Config, *, keep: int = _KEEP, rank: str = "response",
            describe: int = _KEEP) -> Features:
    """The `keep` strongest keypoints (by response); of these the first `describe` in `rank`
    order are described (all of them by default: the study ranks later)."""
    started = time.perf_counter()
    pixels = grey_picture(image, config.side)
    if config.normalise:
        grey = pixels.astype(np.float32)
        pixels = np.clip((grey - grey.mean()) * (48.0 / (grey.std() + 1e-6)) + 128.0, 0, 255).astype(np.uint8)
    sift = cv2.SIFT_create(nOctaveLayers=config.layers)
    keypoints = [kp for kp in sift.detect(pixels, None) if kp.size >= config.min_size]
    keypoints = sorted(keypoints, key=lambda kp: -(kp.size if config.pool == "size" else kp.response))[:keep]
    if describe < len(keypoints):
        if rank == "size":
            keypoints = sorted(keypoints, key=lambda kp: -kp.size)
        elif rank != "response":
            raise ValueError("describing a subset is implemented for the response and size orders")
        keypoints = keypoints[:describe]
    keypoints, descriptors = sift.compute(pixels, keypoints) if keypoints else ([], None)
    if descriptors is None:
        descriptors = np.zeros((0, 128), np.float32)
    octave = np.array([kp.octave & 255 for kp in keypoints], np.int16)
    return Features(
        np.array([kp.pt for kp in keypoints], np.float32).reshape(-1, 2),
        np.array([kp.size for kp in keypoints], np.float32),
        np.array([kp.response for kp in keypoints], np.float32),
        np.where(octave >= 128, octave - 256, octave),
        np.clip(np.round(descriptors), 0, 255).astype(np.uint8),
        pixels.shape,
        time.perf_counter() - started,
    )


# -- keys and probes ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SiftScheme:
    name: str
    config: str
    stored: int  # descriptors keyed per stored photo
    queried: int  # descriptors probed per lookup (their mirror permutations too)
    tables: int
    bits: int
    flips: int
    projection: str = "pca"  # "pca" or "random"
    rank: str = "response"  # "response", "size", "octave" (response over its octave's median), "grid",
    # "central<percent>" (size, keypoints reaching into the outer percent of a side last)
    stored_rank: str = ""  # the stored photo's order, if not `rank`
    # A stored photo keys one descriptor per keypoint place (SIFT repeats a keypoint once per
    # orientation peak; a lookup probes all of its own).
    one_per_place: bool = False
    pool: int = _KEEP  # only the `pool` strongest keypoints (by response) are ranked
    mirror: str = "permute"  # "permute", "pass" (a second SIFT pass on the mirrored picture) or "none"
    pcs: int = 64

    def label(self) -> str:
        stored = f" (stored {self.stored_rank})" if self.stored_rank else ""
        return (f"{self.name}: {self.config} {self.projection}{self.pcs}, rank {self.rank}{stored}, {self.stored}/"
                f"{self.queried} desc{', one per place' if self.one_per_place else ''}, {self.tables}x{self.bits} bits,"
                f" flips {self.flips}, mirror {self.mirror}")


class SiftHasher:
    def __init__(self, scheme: SiftScheme, training: np.ndarray, seed: int) -> None:
        """`training`: (n, 128) SIFT descriptors of pictures that are not stored."""
        self.scheme = scheme
        if scheme.projection == "pca":
            fitted = production.fit_projection(training, seed=seed, components=scheme.pcs, bits=scheme.bits,
                                               tables=scheme.tables)
            self.mean, self.components, self.tables = fitted.mean, fitted.components, fitted.tables
            return
        rng = np.random.default_rng(seed)
        self.mean = root_sift(training).mean(axis=0)
        q, _ = np.linalg.qr(rng.standard_normal((128, 128)))
        self.components = q[:, : scheme.pcs].astype(np.float32)
        self.tables = np.stack([np.arange(scheme.bits)] + [
            np.sort(rng.choice(scheme.pcs, scheme.bits, replace=False)) for _ in range(scheme.tables - 1)])

    def project(self, descriptors: np.ndarray) -> np.ndarray:
        return (root_sift(descriptors) - self.mean) @ self.components


def ranked(features: Features, rank: str, pool: int = _KEEP) -> np.ndarray:
    """Indexes of the features (the `pool` strongest) in the scheme's order of preference."""
    n = min(pool, len(features.sizes))
    points, sizes = features.points[:n], features.sizes[:n]
    responses, octaves = features.responses[:n], features.octaves[:n]
    if rank == "response" or n == 0:
        return np.arange(n)
    if rank == "size":
        return np.argsort(-sizes, kind="stable")
    if rank.startswith("central"):
        # Largest first, but keypoints whose circle reaches into the outer `band` of any side (what
        # a crop may cut) after all others.
        band = int(rank.removeprefix("central")) / 100
        height, width = features.shape
        x, y, r = points[:, 0], points[:, 1], sizes / 2
        inside = ((x - r >= band * width) & (x + r <= (1 - band) * width)
                  & (y - r >= band * height) & (y + r <= (1 - band) * height))
        return np.lexsort((-sizes, ~inside))
    if rank == "octave":
        medians = {o: np.median(responses[octaves == o]) for o in np.unique(octaves)}
        relative = responses / np.array([medians[o] for o in octaves])
        return np.argsort(-relative, kind="stable")
    # "grid": the strongest of each of 4x4 cells in turn, then the second strongest of each, ...
    height, width = features.shape
    cell = (np.minimum(points[:, 1] * 4 // height, 3) * 4 + np.minimum(points[:, 0] * 4 // width, 3))
    turn = np.zeros(n, int)
    seen: dict[int, int] = defaultdict(int)
    for i, c in enumerate(cell.astype(int)):  # already strongest first
        turn[i] = seen[c]
        seen[c] += 1
    return np.lexsort((np.arange(n), turn))


def stored_keys(features: Features, hasher: SiftHasher) -> np.ndarray:
    chosen = ranked(features, hasher.scheme.stored_rank or hasher.scheme.rank, hasher.scheme.pool)
    if hasher.scheme.one_per_place:
        places = np.round(np.column_stack([features.points, features.sizes]), 1)[chosen]
        _, first = np.unique(places, axis=0, return_index=True)
        chosen = chosen[np.sort(first)]
    chosen = chosen[: hasher.scheme.stored]
    projected = hasher.project(features.descriptors[chosen])
    return np.unique(_key_values(projected > 0, hasher.tables).ravel())


def probes(features: Features, hasher: SiftHasher, mirrored: Features | None = None) -> np.ndarray:
    scheme, tables = hasher.scheme, hasher.tables
    chosen = ranked(features, scheme.rank, scheme.pool)[: scheme.queried]
    descriptors = features.descriptors[chosen]
    if scheme.mirror == "permute":
        descriptors = np.concatenate([descriptors, descriptors[:, MIRROR]])
    elif scheme.mirror == "pass" and mirrored is not None:
        again = ranked(mirrored, scheme.rank, scheme.pool)[: scheme.queried]
        descriptors = np.concatenate([descriptors, mirrored.descriptors[again]])
    projected = hasher.project(descriptors)
    return with_flips(_key_values(projected > 0, tables), np.argsort(np.abs(projected)[:, tables], axis=-1),
                      scheme.flips)
