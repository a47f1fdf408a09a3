"""Window sums and counts: compensated prefix sums kept only at the query bounds.

The running sum of each entity is compensated by the exact rounding error of each step
(TwoSum) and restarts at the entity's first event, so a window sum depends only on its
own entity's values (and their order): it is the same bit for bit whatever other
entities a process holds, in what order and on how many threads. It stays within a few
ulps of its own magnitude even after ten million events, and no full-length prefix array
is ever stored.

Entities with at most :data:`BLOCK` events are summed many at a time: the events of
entities of about equal length are copied into a small matrix, one entity per row (or
column), after a zero, and summed along it; what follows an entity in its row is never
read. Longer entities are summed block by block, the running sums carried over exactly
as one sequential ``cumsum`` would. Either way each entity's sums are exactly those of
one sequential ``cumsum`` over its own values from zero.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from .sorting import _run

if TYPE_CHECKING:
    from .columns import Column


BLOCK = 1 << 15
"""Events per block of the blockwise prefix-sum pass (a few such arrays fit in cache)."""

CHUNK_COST = 4096
"""The fixed cost of summing one matrix of entities, in matrix cells: a matrix takes the
next entities by length while that lowers (padding + CHUNK_COST) per event."""

WIDE = 384
"""Matrices of at least this many entities are summed a row (all entities) at a time."""

Task = tuple[int, int, int, int]

_BUFFERS = threading.local()


def window_sums(
    col: Column,
    hi: np.ndarray,
    los: list[np.ndarray],
    tasks: list[Task] | None = None,
    starts: np.ndarray | None = None,
    codes: np.ndarray | None = None,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """``(sum, count)`` of the non-null values in ``[lo, hi)`` for each ``lo`` in ``los``.

    The sums are differences of a running sum ``S`` compensated by the running sum
    ``E`` of its exact rounding errors (TwoSum): ``(S[hi] - S[lo]) + (E[hi] - E[lo])``.
    Only the values of ``S`` and ``E`` at the query bounds are kept.

    ``starts`` (the entity segment edges of the events) and ``codes`` (the entity of
    each query; its ``[lo, hi)`` lies in that entity's segment) make ``S`` and ``E``
    restart at each entity's first event. Without them the events are one segment.

    ``tasks`` splits the work into independent ``(a, b, q0, q1)`` spans: queries
    ``[q0, q1)`` only look at events ``[a, b)``, whose edges are entity edges (queries
    outside every span get empty windows). The default is one span over everything.
    Without ``starts``, spans run in parallel threads; with them, the entities of all
    spans are grouped into matrices (and long entities) that run in parallel threads.
    """
    n = len(col.values)
    if tasks is None:
        tasks = [(0, n, 0, len(hi))]
    points = [hi, *los]
    s_at = [np.zeros(len(p)) for p in points]
    e_at = [np.zeros(len(p)) for p in points]
    c_at = None if col.all_valid else [np.zeros(len(p), dtype=np.int64) for p in points]
    out_s: list[list[np.ndarray]] = [s_at, e_at] + ([c_at] if c_at is not None else [])

    if starts is not None and codes is not None:
        # entities are independent: every span's entities are planned together, so
        # entities of about equal length from all spans can share a matrix
        first_q = min((t[2] for t in tasks if t[3] > t[2]), default=0)
        last_q = max((t[3] for t in tasks if t[3] > t[2]), default=0)
        _segments(col, points, out_s, starts, codes, first_q, last_q)
    else:

        def work(task: Task) -> None:
            a, b, q0, q1 = task
            if q1 > q0 and b > a:
                with np.errstate(invalid="ignore", over="ignore"):
                    _scan(col, points, out_s, a, b, q0, q1)

        _run(work, tasks, n)
    out = []
    for j in range(1, len(points)):
        with np.errstate(invalid="ignore"):  # inf - inf: a window with infinities
            total = s_at[0] - s_at[j]
            e_at[j] -= e_at[0]
            total -= e_at[j]
        count = hi - los[j - 1] if c_at is None else c_at[0] - c_at[j]
        out.append((total, count))
        s_at[j] = e_at[j] = np.zeros(0)
    return out


def _segments(
    col: Column,
    points: list[np.ndarray],
    out: list[list[np.ndarray]],
    starts: np.ndarray,
    codes: np.ndarray,
    q0: int,
    q1: int,
) -> None:
    """Prefix sums at the bounds of queries ``[q0, q1)`` (sorted by entity), per entity."""
    if q1 <= q0:
        return
    qc = codes[q0:q1]
    first = np.flatnonzero(np.concatenate(([True], qc[1:] != qc[:-1])))
    ents = qc[first]  # the entities asked about, ascending
    q_edges = np.append(first, len(qc)) + q0
    known = ents < len(starts) - 1  # unknown entities (code n_codes) have empty windows
    lens = np.zeros(len(ents), dtype=np.int64)
    lens[known] = starts[ents[known] + 1] - starts[ents[known]]
    jobs: list[Callable[[], None]] = []
    for big in np.flatnonzero(lens > BLOCK):  # long entities: blockwise, as one cumsum
        e = int(ents[big])
        span = (int(starts[e]), int(starts[e + 1]), int(q_edges[big]), int(q_edges[big + 1]))
        jobs.append(functools.partial(_scan, col, points, out, *span))
    short = np.flatnonzero((lens > 0) & (lens <= BLOCK))
    if len(short) == 0:
        _run_all(jobs, len(col.values))
        return
    # entities of about equal lengths share a matrix of up to about 4 * BLOCK cells:
    # each matrix ends where padding plus a fixed cost per matrix (CHUNK_COST cells)
    # is least per event
    by_length = short[np.argsort(lens[short], kind="stable")]
    sorted_lens = lens[by_length]
    total = np.concatenate(([0], np.cumsum(sorted_lens)))
    chunks: list[np.ndarray] = []  # indices into ents
    i = 0
    while i < len(by_length):
        top = min(i + max(1, 4 * BLOCK // (int(sorted_lens[i]) + 1)), len(by_length))
        ends = np.arange(i + 1, top + 1)
        cells = (ends - i) * (sorted_lens[ends - 1] + 1)
        j = int(ends[np.argmin((cells + CHUNK_COST) / (total[ends] - total[i]))])
        chunks.append(by_length[i:j])
        i = j
    # the queries of each chunk, entity by entity: each entity's queries are one run
    members_all = np.concatenate(chunks)
    sizes = (q_edges[1:] - q_edges[:-1])[members_all]
    per_chunk = np.array([len(c) for c in chunks])
    ent_cuts = np.concatenate(([0], np.cumsum(per_chunk)))
    q_cuts = np.concatenate(([0], np.cumsum(sizes)))[ent_cuts]
    order = _ranges(q_edges[:-1][members_all], sizes, int(q_cuts[-1]))
    rows_in_chunk = np.arange(len(members_all)) - np.repeat(ent_cuts[:-1], per_chunk)
    row_q = np.repeat(rows_in_chunk, sizes)
    start_q = np.repeat(starts[ents[members_all]], sizes)
    at_q = [p[order] - start_q for p in points]  # column of each bound in its entity's row
    for k, members in enumerate(chunks):
        sl = slice(int(q_cuts[k]), int(q_cuts[k + 1]))
        jobs.append(functools.partial(
            _chunk, col, starts[ents[members]], int(lens[members].max()) + 1,
            row_q[sl], [a[sl] for a in at_q], order[sl], out))
    _run_all(jobs, len(col.values))


def _ranges(heads: np.ndarray, sizes: np.ndarray, total: int) -> np.ndarray:
    """The concatenation of ``arange(heads[i], heads[i] + sizes[i])`` (``sizes > 0``)."""
    step = np.ones(total, dtype=np.int64)
    step[0] = heads[0]
    ends = np.cumsum(sizes)[:-1]
    step[ends] = heads[1:] - (heads[:-1] + sizes[:-1] - 1)
    return np.cumsum(step)


def _chunk(
    col: Column,
    first: np.ndarray,
    width: int,
    rows: np.ndarray,
    cols: list[np.ndarray],
    queries: np.ndarray,
    out: list[list[np.ndarray]],
) -> None:
    """Sum the entities starting at ``first``, one per column (or row) of a matrix.

    Column ``r`` holds ``0`` then entity ``r``'s events, ``width`` cells in all (then
    whatever follows, never read): the running sum down a column is the entity's own
    sequential sum from zero.
    Many short entities are summed one matrix row at a time, all entities at once; few
    long ones (fewer than :data:`WIDE` entities) one ``cumsum`` per entity instead.
    For each query bound ``j``, ``out[.][j][queries]`` gets the running sums (and the
    counts when the column has nulls) at row ``cols[j]`` of column ``rows``.
    """
    m = len(first)
    cells = m * width
    bufs: list[Any] = getattr(_BUFFERS, "bufs", [])  # reused by the thread's chunks
    if not bufs or len(bufs[0]) < cells:
        size = max(cells, 4 * BLOCK + 1)  # once per thread, whatever the chunks' order
        bufs = [np.empty(size) for _ in range(3)] + [np.empty(size, dtype=np.int64)]
        _BUFFERS.bufs = bufs
    down = m >= WIDE  # (width, m): one add per row; else (m, width): one cumsum per entity
    shape = (width, m) if down else (m, width)
    where: Any = bufs[3][:cells].reshape(shape)
    x = bufs[0][:cells].reshape(shape)
    n = len(col.values)
    inside = not down and int(first.min()) >= 1 and int(first.max()) - 1 + width <= n
    if inside:  # rows of a sliding view: one copy (np.take would copy the whole view)
        x[...] = _windows(col.values, width)[first - 1]
    else:
        steps = np.arange(width)
        if down:
            np.add(first - 1, steps[:, None], out=where)  # row 0: just before the entity
        else:
            np.add((first - 1)[:, None], steps, out=where)
        np.take(col.values, where, mode="clip", out=x)
    head = (0, slice(None)) if down else (slice(None), 0)
    x[head] = 0.0
    c = None
    if not col.all_valid:
        if inside:
            valid = _windows(col.valid, width)[first - 1]
        else:
            valid = np.take(col.valid, where, mode="clip")
        valid[head] = False
        np.copyto(x, 0.0, where=~valid)
        c = np.cumsum(valid, axis=0 if down else 1, dtype=np.int64).ravel()
    s = bufs[1][:cells].reshape(shape)
    _running_sum(x, s, down)  # sequential per entity: s[k] == fl(s[k-1] + x[k])
    # Knuth's TwoSum on the flat matrix: prev + x == cur + err exactly, bb = cur - prev,
    # err = (prev - (cur - bb)) + (x - bb); each entity's row 0 gets err 0
    step = m if down else 1
    flat_s, flat_x = bufs[1][:cells], bufs[0][:cells]
    prev, cur, xs = flat_s[:-step], flat_s[step:], flat_x[step:]
    bb = bufs[2][: cells - step]
    t = bufs[3][:cells].view(np.float64)  # the indices are no longer needed
    err = t[step:]
    np.subtract(cur, prev, out=bb)
    np.subtract(cur, bb, out=err)
    np.subtract(prev, err, out=err)
    np.subtract(xs, bb, out=bb)
    err += bb
    e = t.reshape(shape)
    e[head] = 0.0
    _running_sum(e, x, down)
    if len(rows) == 0:
        return
    for j, col_j in enumerate(cols):
        at = col_j * m + rows if down else rows * width + col_j
        out[0][j][queries] = flat_s[at]
        out[1][j][queries] = flat_x[at]
        if c is not None:
            out[2][j][queries] = c[at]


def _run_all(jobs: list[Callable[[], None]], size: int) -> None:
    """Run ``jobs`` (in the thread pool when ``size`` events are many)."""

    def one(job: Callable[[], None]) -> None:
        with np.errstate(invalid="ignore", over="ignore"):  # inf - inf in a window
            job()

    _run(one, jobs, size)


def _windows(values: np.ndarray, width: int) -> np.ndarray:
    """The read-only sliding view ``view[i] == values[i : i + width]``."""
    step = values.strides[0]
    return np.lib.stride_tricks.as_strided(
        values, (len(values) - width + 1, width), (step, step), writeable=False
    )


def _running_sum(x: np.ndarray, out: np.ndarray, down: bool) -> None:
    """``cumsum`` down the columns of ``x`` (``down``) or along its rows, into ``out``."""
    if not down:
        np.cumsum(x, axis=1, out=out)
        return
    out[0] = x[0]
    for k in range(1, len(x)):
        np.add(out[k - 1], x[k], out=out[k])


def _scan(
    col: Column,
    points: list[np.ndarray],
    out: list[list[np.ndarray]],
    a: int,
    b: int,
    q0: int,
    q1: int,
) -> None:
    """Prefix sums from ``a`` at the bounds in ``[a, b]`` of queries ``[q0, q1)``, blockwise."""
    c_at = out[2] if len(out) > 2 else None
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
        # Knuth's TwoSum (see _chunk)
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
    found = [s_loc, e_loc] + ([c_loc] if c_loc is not None else [])
    for j, undo in enumerate(sorters):
        for src, dst in zip(found, out, strict=True):
            if undo is None:
                dst[j][q0:q1] = src[j]
            else:
                dst[j][q0:q1][undo] = src[j]
