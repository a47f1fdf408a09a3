"""Window sums and counts: compensated prefix sums kept only at the query bounds.

One blockwise pass per column walks the sorted events of each part; the running sum
is compensated by the exact rounding error of each step (TwoSum) and restarted per
part, so a window sum stays within a few ulps of its own magnitude even after ten
million events, and no full-length prefix array is ever stored.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .sorting import _run

if TYPE_CHECKING:
    from .columns import Column


BLOCK = 1 << 15
"""Events per block of the blockwise prefix-sum pass (a few such arrays fit in cache)."""


def window_sums(
    col: Column,
    hi: np.ndarray,
    los: list[np.ndarray],
    tasks: list[tuple[int, int, int, int]] | None = None,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """``(sum, count)`` of the non-null values in ``[lo, hi)`` for each ``lo`` in ``los``.

    The sums are differences of a running sum ``S`` compensated by the running sum
    ``E`` of its exact rounding errors (TwoSum): ``(S[hi] - S[lo]) + (E[hi] - E[lo])``.
    ``S`` and ``E`` are computed block by block, carried over from block to block
    exactly as one sequential ``cumsum`` would, and only their values at the query
    bounds are kept, so no full-length prefix array is ever allocated.

    ``tasks`` splits the work into independent ``(a, b, q0, q1)`` spans: queries
    ``[q0, q1)`` only look at events ``[a, b)``, and the running sums restart at ``a``
    (queries outside every span get empty windows). Spans run in parallel threads.
    The default is one span over everything.
    """
    n = len(col.values)
    if tasks is None:
        tasks = [(0, n, 0, len(hi))]
    points = [hi, *los]
    s_at = [np.zeros(len(p)) for p in points]
    e_at = [np.zeros(len(p)) for p in points]
    c_at = None if col.all_valid else [np.zeros(len(p), dtype=np.int64) for p in points]

    def work(task: tuple[int, int, int, int]) -> None:
        a, b, q0, q1 = task
        if q1 <= q0 or b <= a:
            return
        # bounds are non-decreasing except, rarely, among queries in one tick of the
        # source's unit whose window is not a whole number of ticks: visit those sorted
        local = [np.asarray(p[q0:q1]) for p in points]
        sorters: list[np.ndarray | None] = []
        for j, p in enumerate(local):
            if len(p) > 1 and bool(np.any(p[1:] < p[:-1])):
                sorter = np.argsort(p, kind="stable")
                local[j] = p[sorter]
                sorters.append(sorter)
            else:
                sorters.append(None)
        ends = np.arange(a, b + BLOCK, BLOCK, dtype=np.int64)
        ends[-1] = b
        ends[0] = a
        cuts = [np.searchsorted(p, ends, side="right") for p in local]
        s_loc = [np.zeros(len(p)) for p in local]
        e_loc = [np.zeros(len(p)) for p in local]
        c_loc = None if c_at is None else [np.zeros(len(p), dtype=np.int64) for p in local]
        s_carry = e_carry = 0.0
        c_carry = 0
        size = min(BLOCK, b - a)  # buffers reused by every block of this span
        s_buf, e_buf = np.empty(size + 1), np.empty(size + 1)
        t_buf, bb_buf = np.empty(size), np.empty(size)
        for k in range(len(ends) - 1):
            lo_i, hi_i = int(ends[k]), int(ends[k + 1])
            if hi_i <= lo_i:
                continue
            m = hi_i - lo_i
            x = col.values[lo_i:hi_i]
            if not col.all_valid:
                x = np.where(col.valid[lo_i:hi_i], x, 0.0)
            s, t, bb, e = s_buf[: m + 1], t_buf[:m], bb_buf[:m], e_buf[: m + 1]
            s[0] = s_carry
            np.copyto(t, x)
            t[0] += s_carry
            np.cumsum(t, out=s[1:])  # s[i+1] == fl(s[i] + x[i]): sequential, like one cumsum
            prev, cur = s[:-1], s[1:]
            # Knuth's TwoSum: prev + x == cur + err exactly, bb = cur - prev,
            # err = (prev - (cur - bb)) + (x - bb)
            np.subtract(cur, prev, out=bb)
            np.subtract(cur, bb, out=t)
            np.subtract(prev, t, out=t)
            np.subtract(x, bb, out=bb)
            t += bb
            e[0] = e_carry
            t[0] += e_carry
            np.cumsum(t, out=e[1:])
            c = None
            if c_loc is not None:
                c = np.empty(hi_i - lo_i + 1, dtype=np.int64)
                c[0] = c_carry
                np.cumsum(col.valid[lo_i:hi_i], out=c[1:])
                c[1:] += c_carry
                c_carry = int(c[-1])
            s_carry, e_carry = float(s[-1]), float(e[-1])
            for j, p in enumerate(local):
                r0, r1 = int(cuts[j][k]), int(cuts[j][k + 1])
                if r1 > r0:
                    idx = p[r0:r1] - lo_i
                    s_loc[j][r0:r1] = s[idx]
                    e_loc[j][r0:r1] = e[idx]
                    if c_loc is not None and c is not None:
                        c_loc[j][r0:r1] = c[idx]
        for j, undo in enumerate(sorters):
            found = [s_loc, e_loc] + ([c_loc] if c_loc is not None else [])
            targets = [s_at, e_at] + ([c_at] if c_at is not None else [])
            for src, dst in zip(found, targets, strict=True):
                if undo is None:
                    dst[j][q0:q1] = src[j]
                else:
                    dst[j][q0:q1][undo] = src[j]

    _run(work, tasks, n)
    out = []
    for j in range(1, len(points)):
        total = s_at[0] - s_at[j]
        e_at[j] -= e_at[0]
        total -= e_at[j]
        count = hi - los[j - 1] if c_at is None else c_at[0] - c_at[j]
        out.append((total, count))
        s_at[j] = e_at[j] = np.zeros(0)
    return out
