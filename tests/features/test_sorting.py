"""The parallel sort of events (:mod:`jupyter_bighead.features.sorting`) gives exactly the
order of one stable sort, at the sizes where it runs in threads."""

from __future__ import annotations

import numpy as np
import pytest

from jupyter_bighead.features import sorting


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_partition_in_two_threads_equals_one_stable_radix_pass(seed, monkeypatch):
    rng = np.random.default_rng(seed)
    n = sorting.PARALLEL_MIN_EVENTS + int(rng.integers(0, 5000))
    n_codes = int(rng.integers(300, 20_000))
    # skewed popularity: some parts far larger than others, some codes unused
    codes = np.minimum((rng.pareto(0.8, size=n) * 50).astype(np.int64), n_codes - 1)
    counts = np.bincount(codes, minlength=n_codes)
    monkeypatch.setattr(sorting, "_workers", lambda: 2)  # the two-thread path, on any runner
    order, bounds = sorting.partition(codes, counts)
    monkeypatch.setattr(sorting, "_workers", lambda: 1)  # the one-pass path
    order1, bounds1 = sorting.partition(codes, counts)
    assert np.array_equal(bounds, bounds1) and np.array_equal(order, order1)
    # every part holds a contiguous code range, rows ascending inside it
    parts = [order[bounds[i]:bounds[i + 1]] for i in range(len(bounds) - 1)]
    assert all(np.all(np.diff(p) > 0) for p in parts if len(p))
    assert sorted(np.concatenate(parts).tolist()) == list(range(n))


def test_sort_keys_is_a_stable_sort_of_the_keys():
    rng = np.random.default_rng(5)
    n = sorting.PARALLEL_MIN_EVENTS + 123
    codes = rng.integers(0, 3000, size=n)
    key = codes * 1000 + rng.integers(0, 50, size=n)  # many ties within a code
    perm, keys = sorting.sort_keys(key.copy(), codes, 3000)
    want = np.argsort(key, kind="stable")
    assert np.array_equal(perm, want) and np.array_equal(keys, key[want])
