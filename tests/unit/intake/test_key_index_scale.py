"""The key-index cost benchmark loads what it says: every photo's keys are distinct 42-bit values,
screenshots share one pool, the binary COPY rows decode to those keys and ids, and a probe set
points at the number of rows it claims (counted here against every stored key)."""

from __future__ import annotations

import struct
import uuid
from collections import Counter

import numpy as np
import pytest

from benchmarks.intake import key_index_scale as bench

_LAYOUT = bench.Layout(photos=3000, keys_per_photo=24, screen_share=0.1, pool=200, seed=5)


def _all_keys() -> np.ndarray:
    return _LAYOUT.keys(np.arange(_LAYOUT.photos))


def test_keys_are_distinct_42_bit_values_and_screenshots_share_a_pool() -> None:
    keys = _all_keys()
    assert keys.shape == (3000, 24)
    assert int(keys.max()) < 1 << bench.KEY_BITS
    assert all(len(set(row.tolist())) == 24 for row in keys)
    np.testing.assert_array_equal(keys, _LAYOUT.keys(np.arange(3000)))  # a pure function

    screens = _LAYOUT.is_screenshot(np.arange(3000, dtype=np.uint64))
    assert 0.07 < screens.mean() < 0.13
    pool = set(_LAYOUT.pool_keys().tolist())
    assert all(set(row.tolist()) <= pool for row in keys[screens])
    ordinary = keys[~screens].ravel().tolist()
    assert len(set(ordinary)) == len(ordinary)


def test_pool_lengths_count_the_rows_under_each_pool_key() -> None:
    counts = Counter(_all_keys().ravel().tolist())
    lengths = _LAYOUT.pool_lengths()
    assert [counts[key] for key in _LAYOUT.pool_keys().tolist()] == lengths.tolist()
    assert lengths.sum() == _LAYOUT.is_screenshot(np.arange(3000, dtype=np.uint64)).sum() * 24


@pytest.mark.parametrize("photo_id", ["int", "uuid"])
def test_binary_copy_rows_decode_to_the_keys_and_ids(photo_id: str) -> None:
    photos = np.arange(100, 110)
    data = bench.copy_chunk(_LAYOUT, photos, photo_id=photo_id)
    id_size = 4 if photo_id == "int" else 16
    decoded, offset = [], 0
    while offset < len(data):
        fields, key_len = struct.unpack_from("!hi", data, offset)
        key, id_len = struct.unpack_from("!qi", data, offset + 6)
        raw = data[offset + 18 : offset + 18 + id_len]
        assert (fields, key_len, id_len) == (2, 8, id_size)
        decoded.append((key, struct.unpack("!i", raw)[0] if photo_id == "int" else uuid.UUID(bytes=raw)))
        offset += 18 + id_len
    ids = photos.tolist() if photo_id == "int" else [uuid.UUID(bytes=bytes(b)) for b in bench.photo_uuids(photos, _LAYOUT)]
    expected = [(int(key), ids[i]) for i, row in enumerate(_LAYOUT.keys(photos)) for key in row]
    assert decoded == expected
    assert len(set(ids)) == len(ids)


@pytest.mark.parametrize(("probes", "hits", "long_share"), [(400, 300, 0.5), (400, 300, 0.0), (200, 150, 1.0)])
def test_a_probe_set_points_at_the_rows_it_claims(probes: int, hits: int, long_share: float) -> None:
    counts = Counter(_all_keys().ravel().tolist())
    rng = np.random.default_rng(3)
    probe = bench.probe_set(_LAYOUT, rng, _LAYOUT.pool_lengths(), probes=probes, hits=hits, long_share=long_share)

    assert len(probe.keys) == probes
    assert sum(counts[key] for key in probe.keys) == probe.rows
    assert abs(probe.rows - hits) <= max(_LAYOUT.pool_lengths())
    own = set(_LAYOUT.keys(np.array([probe.original]))[0].tolist())
    assert len(own & set(probe.keys)) == 12
    if long_share == 0.0:
        assert not set(_LAYOUT.pool_keys().tolist()) & set(probe.keys)


def test_plan_facts_reads_the_scan_and_the_buffers() -> None:
    plan = [{
        "Plan": {
            "Node Type": "Limit", "Shared Hit Blocks": 900, "Shared Read Blocks": 12,
            "Plans": [{"Node Type": "Sort", "Plans": [{"Node Type": "Aggregate", "Plans": [{
                "Node Type": "Index Only Scan", "Relation Name": "photo_reuse_keys",
                "Actual Rows": 2001, "Actual Loops": 1, "Heap Fetches": 7,
            }]}]}],
        },
        "Execution Time": 4.5,
    }]
    facts = bench.plan_facts(plan)
    assert facts == {"ms": 4.5, "hit": 900.0, "read": 12.0, "rows": 2001.0, "heap_fetches": 7.0,
                     "jit_functions": 0.0, "scan": "Index Only Scan"}
    assert bench.plan_facts([{**plan[0], "JIT": {"Functions": 9}}])["jit_functions"] == 9
    with pytest.raises(ValueError):
        bench.plan_facts([{"Plan": {"Node Type": "Result"}, "Execution Time": 0.1}])
