"""CPU cost of one routing decision (normalise, stem, match keywords, locate, decide): the
work routing adds per complaint, to compare with the system budget of 4 CPU-ms per
complaint across all services.

    uv run python -m benchmarks.routing.speed [--rounds 20]

Runs the development set's complaints, each at a point inside a different kelurahan, first
with cold caches (stems never seen) and then warm, and reports CPU time per decision."""

from __future__ import annotations

import argparse
import time
import zlib

from benchmarks.routing.accuracy import SPLITS, load_examples
from sigap_routing import text
from sigap_routing.domain import decide, default_taxonomy
from sigap_routing.geography import Geography


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()

    started = time.process_time()
    geography = Geography.depok()
    loaded_geo = time.process_time()
    taxonomy = default_taxonomy()
    loaded_taxonomy = time.process_time()

    examples = [example for split in SPLITS for example in load_examples(split)]
    points = []
    for example in examples:
        polygon = geography.polygons[zlib.crc32(example.text.encode()) % len(geography.polygons)]
        point = polygon.representative_point()
        points.append((point.y, point.x))

    def one_pass() -> float:
        begin = time.process_time()
        for example, (lat, lon) in zip(examples, points, strict=True):
            area = geography.locate(lat=lat, lon=lon)
            decide(category=example.category, description=example.text, area=area, taxonomy=taxonomy)
        return (time.process_time() - begin) / len(examples) * 1000

    text.stem.cache_clear()
    text.word_stems.cache_clear()
    taxonomy.typo_memo.clear()
    cold = one_pass()
    warm = sorted(one_pass() for _ in range(args.rounds))
    locate_begin = time.process_time()
    for _ in range(args.rounds):
        for lat, lon in points:
            geography.locate(lat=lat, lon=lon)
    locate_ms = (time.process_time() - locate_begin) / (args.rounds * len(points)) * 1000

    print("Routing decision cost (CPU time, this process, one core)")
    print(
        f"  start-up: boundaries + STRtree {1000 * (loaded_geo - started):.0f} ms,"
        f" taxonomy compile {1000 * (loaded_taxonomy - loaded_geo):.0f} ms"
    )
    print(f"  complaints per pass: {len(examples)}, warm passes: {args.rounds}")
    print(f"  cold caches (first pass):     {cold:.3f} CPU-ms per decision")
    print(f"  warm, median pass:            {warm[len(warm) // 2]:.3f} CPU-ms per decision")
    print(f"  warm, worst pass:             {warm[-1]:.3f} CPU-ms per decision")
    print(f"  of which point-in-polygon:    {locate_ms:.3f} CPU-ms per lookup")
    print(f"  decisions per CPU-second:     {1000 / warm[len(warm) // 2]:.0f}")


if __name__ == "__main__":
    main()
