"""How a picture becomes the grey pixels its reuse fingerprint is taken from: the pHashes of a
stack of squares (one matrix product) are OpenCV's per-square DCT hashes bit for bit; a picture
handed over (`own`) is decoded in JPEG draft mode, upright and close to the plain path's hashes;
a picture that is not handed over is left untouched."""

from __future__ import annotations

import io

import cv2
import numpy as np
import pytest
from PIL import Image

from sigap_intake.photos import fingerprint
from tests.unit.intake.images import jpeg, textured_scene


def _opencv_phash(square: np.ndarray) -> int:
    low = cv2.dct(square.astype(np.float32))[:8, :8].flatten()
    return int.from_bytes(np.packbits(low > np.median(low)).tobytes(), "big")


def test_stacked_hashes_are_opencvs_dct_hashes() -> None:
    base = fingerprint._shrunk(fingerprint.upright_grey(Image.open(io.BytesIO(jpeg(textured_scene(5))))), 256)
    squares = [fingerprint._square(fingerprint._cut(base, view)) for view in fingerprint.views()]
    squares += [np.ascontiguousarray(variant) for variant in fingerprint.dihedral(squares[3])]

    assert fingerprint._phashes(np.stack(squares)) == [_opencv_phash(square) for square in squares]


def _oriented(picture: Image.Image, orientation: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=88, exif=exif)
    return out.getvalue()


@pytest.mark.parametrize("orientation", [1, 6])
def test_a_handed_over_jpeg_hashes_close_to_the_plain_path(orientation: int) -> None:
    data = _oriented(textured_scene(8, size=(1600, 1000)), orientation)
    plain = fingerprint.fingerprint(Image.open(io.BytesIO(data)))
    owned = fingerprint.fingerprint(Image.open(io.BytesIO(data)), own=True)

    assert owned.feature_image.shape == plain.feature_image.shape
    if orientation == 6:  # turned upright: the landscape file shows as a portrait
        assert owned.feature_image.shape[0] > owned.feature_image.shape[1]
    distances = [fingerprint.hamming(a, b) for a, b in zip(plain.view_hashes + plain.query_hashes,
                                                           owned.view_hashes + owned.query_hashes)]
    assert max(distances) <= 4 and np.mean(distances) <= 0.5


def test_a_picture_not_handed_over_is_left_as_it_was() -> None:
    picture = Image.open(io.BytesIO(jpeg(textured_scene(9, size=(1600, 1000)))))

    fingerprint.fingerprint(picture)

    assert picture.mode == "RGB" and picture.size == (1600, 1000)
