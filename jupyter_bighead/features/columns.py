"""Value columns in sorted event order, and the range queries over them that need more
than a prefix array: min/max (a sparse table) and distinct counts (a merge-sort tree).
See :mod:`.engine` for how events are sorted and windows become index ranges."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["Column", "count_distinct", "range_extreme"]


@dataclass
class Column:
    """One value column in sorted event order, with lazily built prefix structures."""

    numeric: bool
    values: np.ndarray  # float64 (NaN = null) when numeric, else int64 codes (-1 = null)
    valid: np.ndarray
    labels: Any = None  # the distinct values, for non-numeric columns
    all_valid: bool = False
    _cache: dict[str, Any] = field(default_factory=dict)

    def prefix_count(self) -> np.ndarray:
        if "count" not in self._cache:
            pc = np.zeros(len(self.valid) + 1, dtype=np.int64)
            np.cumsum(self.valid, out=pc[1:])
            self._cache["count"] = pc
        result: np.ndarray = self._cache["count"]
        return result

    def last_valid(self) -> np.ndarray:
        if "last" not in self._cache:
            idx = np.arange(len(self.valid), dtype=np.int64)
            self._cache["last"] = np.maximum.accumulate(np.where(self.valid, idx, -1))
        result: np.ndarray = self._cache["last"]
        return result

    def first_valid(self) -> np.ndarray:
        if "first" not in self._cache:
            n = len(self.valid)
            idx = np.arange(n, dtype=np.int64)
            marked = np.where(self.valid, idx, n)[::-1]
            self._cache["first"] = np.append(np.minimum.accumulate(marked)[::-1], n)
        result: np.ndarray = self._cache["first"]
        return result


def range_extreme(values: np.ndarray, lo: np.ndarray, hi: np.ndarray, op: Any) -> np.ndarray:
    """Min or max over ``values[lo:hi]`` ignoring NaN, one sparse-table level at a time."""
    out = np.full(len(lo), np.nan)
    length = hi - lo
    has = length > 0
    if not has.any():
        return out
    level = np.zeros(len(lo), dtype=np.int64)
    level[has] = np.floor(np.log2(length[has])).astype(np.int64)
    # float log2 can be off by one at exact powers of two; fix it with integer checks
    level[has & (np.left_shift(1, level + 1) <= length)] += 1
    level[has & (np.left_shift(1, level) > length)] -= 1
    table = values
    for k in range(int(level[has].max()) + 1):
        if k:
            half = 1 << (k - 1)
            table = op(table[:-half], table[half:])
        sel = np.flatnonzero(has & (level == k))
        if len(sel):
            out[sel] = op(table[lo[sel]], table[hi[sel] - (1 << k)])
    return out


def count_distinct(sorted_codes: Callable[[], np.ndarray], col: Column, lo: np.ndarray,
                   hi: np.ndarray) -> np.ndarray:
    """Distinct non-null values in ``[lo, hi)``: rows whose previous equal value precedes lo.

    ``sorted_codes()`` gives each event's entity code in sorted order (called only the
    first time a column is asked).
    """
    n = len(col.values)
    if "prev" not in col._cache:
        if col.numeric:
            import pandas as pd

            vcodes = pd.factorize(col.values, use_na_sentinel=True)[0].astype(np.int64)
        else:
            vcodes = col.values
        n_values = int(vcodes.max()) + 1 if n else 0
        group = np.where(col.valid, sorted_codes() * max(n_values, 1) + vcodes, -1)
        order = np.argsort(group, kind="stable")
        g = group[order]
        same = (g[1:] == g[:-1]) & (g[1:] >= 0)
        prev = np.full(n, -1, dtype=np.int64)
        prev[order[1:][same]] = order[:-1][same]
        prev[~col.valid] = n  # nulls never count
        col._cache["prev"] = prev
    prev = col._cache["prev"]
    # count = #{i in [lo, hi): prev[i] < lo} = C(hi, lo) - #{valid i < lo},
    # where C(x, y) = #{i < x: prev[i] < y}. C is summed over the aligned power-of-two
    # blocks that tile [0, x): block (x >> (k+1)) << (k+1) of size 2**k when bit k is set.
    total = np.zeros(len(lo), dtype=np.int64)
    width = n + 2
    level = prev + 1  # in [0, n + 1]; sorted within blocks of 2**k at step k
    positions = np.arange(n, dtype=np.int64)
    for k in range(max(int(n).bit_length(), 1)):
        block_base = (positions >> k) * width
        keyed = block_base + level
        if k:
            # sorting within blocks of 2**k merges two sorted runs: timsort does it in O(n)
            keyed = np.sort(keyed, kind="stable")
            level = keyed - block_base
        sel = np.flatnonzero((hi >> k) & 1)
        if len(sel):
            start = (hi[sel] >> (k + 1)) << (k + 1)
            block = start >> k
            found = np.searchsorted(keyed, block * width + lo[sel] + 1, side="left")
            total[sel] += found - start
    pc = col.prefix_count()
    result: np.ndarray = total - pc[lo]
    return result
