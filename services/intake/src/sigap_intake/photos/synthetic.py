"""The synthetic-picture gate: tells a rendered picture (a screenshot, an app or web capture, a
graphic) from a camera photo, so reuse detection neither stores nor probes SIFT keys for it.

Such pictures are full of generic local features (text glyphs, rounded bubbles, icons) that
every other screenshot shares; keyed, each lookup would read tens of thousands of key rows at a
million photos. Intake already flags screenshots by their metadata, but one re-encoded as JPEG
has none left.

The test is one figure of the grey picture the key module looks at (upright, long side 256):
the share of its 4x4 pixel blocks that are exactly flat, every pixel the same grey (blocks
clipped to black or white counted half). A rendered picture is mostly flat fills (backgrounds,
bars, bubbles) that stay exactly flat through JPEG re-encoding and downscaling; a camera photo
carries sensor grain and texture in every surface, so even after heavy recompression few of its
blocks are exactly flat. Measured on the evidence corpus (`benchmarks.intake.synthetic_gate`,
200 scenes, 300 screenshots): screenshots and their copies (JPEG 25, dark mode, any edit class)
0.415..0.842; natural scenes and all their edited copies, JPEG quality 25 included, at most
0.193, overexposed ones at most 0.269.

Known limit: a dark night photo recompressed at JPEG quality 25 turns its black sky into flat
JPEG blocks and is gated 67 times in 100 (0 in 100 at normal quality); it then keeps only the
view-hash check.

Pure: numpy on pixels in memory, no I/O."""

from __future__ import annotations

import numpy as np

# The long side of the grey picture the threshold was measured on (the key module's).
SIDE = 256
BLOCK = 4
# Between the highest share seen on natural scenes and their copies (0.19) and the lowest on
# screenshots and their copies (0.42), nearer the screenshots: a photo gated by mistake loses
# its keys, a screenshot let through only costs the rows its keys read, and a screenshot that
# is mostly an embedded photo (a news post) is rather keyed than gated.
FLAT_SHARE = 0.35
# A camera photo is exactly flat where the sensor clipped: a blown-out sky, a black night sky.
# Such blocks count half. On 60 overexposed scenes (brightened 1.8 times) full weight gated 3,
# half weight none; the lowest screenshot copy went from 0.50 to 0.42 (on 150 screenshots with
# one random edit class each).
CLIPPED_WEIGHT = 0.5


def flat_share(grey: np.ndarray) -> float:
    """The share of the picture's whole BLOCK x BLOCK blocks (from the top left corner) whose
    pixels are all the same grey level, a block at 0 or 255 counted as half a block."""
    if grey.ndim != 2:
        raise ValueError(f"expected a 2-D grey picture, got shape {grey.shape}")
    height, width = grey.shape[0] // BLOCK * BLOCK, grey.shape[1] // BLOCK * BLOCK
    if height == 0 or width == 0:
        return 0.0
    # Each block's pixel at (row, column) against its top-left one, as BLOCK x BLOCK strided
    # slices: the same figure as a max/min over a 4-D block view, about twelve times faster
    # (0.12 against 1.4 ms per picture on 2 353 pictures of the benchmark's corpus).
    corner = grey[0:height:BLOCK, 0:width:BLOCK]
    flat = np.ones(corner.shape, dtype=bool)
    for row in range(BLOCK):
        for column in range(BLOCK):
            flat &= grey[row:height:BLOCK, column:width:BLOCK] == corner
    clipped = flat & ((corner == 0) | (corner == 255))
    return float((flat.sum() - (1 - CLIPPED_WEIGHT) * clipped.sum()) / flat.size)


def looks_synthetic(grey: np.ndarray) -> bool:
    """Whether an upright 8-bit grey picture, long side about SIDE, is a rendered UI capture or
    graphic rather than a camera photo."""
    return flat_share(grey) >= FLAT_SHARE
