"""The point-in-time engine: vectorised window aggregations over sorted events.

Events of one source are sorted once by ``(entity code, vis)`` (ties by source row
order) into one composite ``int64`` key per event, ``code * stride + offset(vis)``.
Each entity is then a contiguous *segment* of the sorted arrays, and the events a
query ``(entity, t)`` sees for a window ``w`` are the half-open index range
``[lo, hi)`` with ``lo = first index with vis >= t - w`` and ``hi = first index with
vis >= t`` inside the entity's segment; both are one ``np.searchsorted`` over the keys.

Every aggregation is then a function of ``(lo, hi)``:

- ``count``: a prefix count of non-null values;
- ``sum``/``mean``: a prefix sum per entity (restarted at its first event, so a sum
  depends on that entity's values only), compensated by the exact rounding error of
  each step (TwoSum), so a window sum is accurate to a few ulps of the window's own
  magnitude even after ten million events. The prefix arrays are never stored: one
  pass per column keeps their values at the query bounds of every window
  (:mod:`.sums`);
- ``min``/``max``: a sparse table built one level at a time (O(n) memory);
- ``last``/``first``: prefix "last valid index" / suffix "first valid index";
- ``count_distinct``: the number of ``i`` in ``[lo, hi)`` whose previous equal value
  in the segment lies before ``lo``, counted with a merge-sort tree built level by
  level.

No Python loop runs per event or per query; loops run per sparse-table level, per
block of events or per sorted part of the keys.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import InvalidSpec
from .columns import Column, count_distinct, range_extreme
from .sorting import (
    PARALLEL_MIN_EVENTS,
    _run,
    _workers,
    partition,
    pool,
    sort_keys,
    sort_parts,
)
from .sources import Ticks, check_zones
from .sums import BLOCK, window_sums  # noqa: F401

if TYPE_CHECKING:
    import pandas as pd

_LIMIT = 2**62


@dataclass
class Prepared:
    """One source's events sorted by ``(entity code, vis, row)``; see the module docstring."""

    uniques: pd.Index
    starts: np.ndarray
    keys: np.ndarray
    stride: int
    origin: int
    ranks: np.ndarray | None
    unit_ns: int
    zone: str
    perm: np.ndarray
    what: str
    columns: dict[str, Column] = field(default_factory=dict)
    spans: np.ndarray | None = None  # code edges of the ranges worked on in parallel

    @property
    def n_events(self) -> int:
        return len(self.keys)

    def code_spans(self) -> np.ndarray:
        """Edges ``[0, ..., n_codes]`` of entity-code ranges with about equal event counts.

        Queries and events of different entities are independent, so each range is a
        separate task for the thread pool (one range when the source is small).
        """
        if self.spans is None:
            n_codes = len(self.starts) - 1
            k = 4 * _workers() if self.n_events >= PARALLEL_MIN_EVENTS else 1
            targets = np.arange(1, k, dtype=np.int64) * self.n_events // k
            inner = np.searchsorted(self.starts, targets, side="left")
            edges = np.concatenate(([0], inner, [n_codes])).astype(np.int64)
            self.spans = np.unique(np.clip(edges, 0, n_codes))
        return self.spans

    def sorted_codes(self) -> np.ndarray:
        """The entity code of each sorted event (built on demand: only count_distinct needs it)."""
        return np.repeat(np.arange(len(self.uniques), dtype=np.int64), np.diff(self.starts))

    def offsets(self, ticks: np.ndarray) -> np.ndarray:
        """Map tick bounds ``X`` to key offsets so ``vis >= X`` iff ``offset(vis) >= offset(X)``."""
        if self.ranks is not None:
            return np.searchsorted(self.ranks, ticks, side="left").astype(np.int64)
        return np.clip(ticks - self.origin, 0, self.stride)

    def gather(self, raw: np.ndarray) -> np.ndarray:
        """``raw[perm]``: source rows into event order (in threads, chunk by chunk)."""
        out = np.empty(len(self.perm), dtype=raw.dtype)
        chunk = max(len(out) // (2 * _workers()), 1)

        def work(start: int) -> None:
            np.take(raw, self.perm[start : start + chunk], out=out[start : start + chunk])

        _run(work, list(range(0, len(out), chunk)), len(out))
        return out

    def add_column(self, name: str, series: pd.Series, *, numeric: bool) -> Column:
        """Sort ``series`` (aligned with the source rows) into event order and keep it."""
        import pandas as pd

        if numeric:
            dtype = getattr(series, "dtype", None)
            if isinstance(dtype, np.dtype) and dtype.kind == "f" and dtype.itemsize == 8:
                values = self.gather(series.to_numpy())  # no copy before the gather
            elif isinstance(dtype, np.dtype) and dtype.kind in "iuf":
                values = np.asarray(series.to_numpy()[self.perm], dtype=np.float64)
            else:
                raw = series.to_numpy(dtype=np.float64, na_value=np.nan)
                values = raw[self.perm]
                del raw
            valid = ~np.isnan(values)
            col = Column(True, values, valid, all_valid=bool(valid.all()))
        else:
            codes, labels = pd.factorize(series, use_na_sentinel=True)
            values = codes.astype(np.int64)[self.perm]
            valid = values >= 0
            col = Column(False, values, valid, labels=labels, all_valid=bool(valid.all()))
        self.columns[name] = col
        return col


def prepare(entity: Any, ts: Ticks, created: Ticks | None, what: str) -> Prepared:
    """Sort a source's events by ``(entity, vis, row)``.

    ``entity`` and the ticks are aligned with the source rows. Rows with a null entity
    or a null timestamp are dropped (they can never be matched); a null
    ``created_at`` falls back to ``ts``.

    Raises
    ------
    InvalidSpec
        If ``ts`` and ``created_at`` mix tz-naive and tz-aware datetimes.
    """
    return prepare_owned({"entity": entity, "ts": ts, "created": created}, what)


def prepare_owned(inputs: dict[str, Any], what: str) -> Prepared:
    """:func:`prepare` on ``inputs`` (keys ``entity``, ``ts``, ``created``), which it empties.

    Taking the columns out of a dict lets each be freed as soon as it is used, when the
    caller holds no other reference: this keeps the peak memory of a large source down.
    """
    ts: Ticks = inputs.pop("ts")
    created: Ticks | None = inputs.pop("created", None)
    unit = ts.unit_ns
    zone = ts.zone
    ts_valid = ts.valid
    vis = ts.values
    if created is not None:
        check_zones(ts.zone, f"{what} timestamp", created.zone, f"{what} created_at")
        unit = min(unit, created.unit_ns)
        if created.zone != "epoch":
            zone = created.zone
        vis = ts.to_unit(unit)
        made = created.to_unit(unit)
        if created.valid is not None:
            made = np.where(created.valid, made, vis)
        vis = np.maximum(vis, made)
        del made
    del ts, created
    # codes in order of first appearance: sorting the ids would cost a pass over all
    # events, and lookups go through a hash index anyway
    codes, uniques = _factorize(inputs.pop("entity"))
    keep = codes >= 0
    if ts_valid is not None:
        keep &= ts_valid
    rows: np.ndarray | None = None
    if not keep.all():
        rows = np.flatnonzero(keep)
        codes, vis = codes[rows], vis[rows]
    del keep, ts_valid
    n_codes = len(uniques)
    counts = np.bincount(codes, minlength=n_codes)
    starts = np.zeros(n_codes + 1, dtype=np.int64)
    np.cumsum(counts, out=starts[1:])
    order, bounds = partition(codes, counts)
    ranks: np.ndarray | None = None
    if len(vis):
        origin = int(vis.min())
        stride = int(vis.max()) - origin + 1
    else:
        origin, stride = 0, 1
    # key = code * stride + offset(vis), built in place in the codes' buffer
    key = codes
    del codes
    if (n_codes + 1) * stride < _LIMIT:
        key *= stride
        key += vis
        key -= origin
    else:  # too wide for one int64 key: rank-compress the times instead
        ranks = np.unique(vis)
        stride = max(len(ranks), 1)
        key *= stride
        key += np.searchsorted(ranks, vis)
    del vis
    keys = sort_parts(key, order, bounds)
    del key
    perm = order
    if rows is not None:
        perm = rows[perm]
    return Prepared(
        uniques=uniques,
        starts=starts,
        keys=keys,
        stride=stride,
        origin=origin,
        ranks=ranks,
        unit_ns=unit,
        zone=zone,
        perm=perm,
        what=what,
    )


def _factorize(entity: Any) -> tuple[np.ndarray, Any]:
    """``pd.factorize(entity, sort=False)`` with int64 codes and an Index of uniques.

    Integer ids take a faster route: a hash table sized for few distinct ids (pandas
    sizes it for one id per row, which spreads lookups over far more memory than the
    cache holds), and two threads for large inputs. Each half is factorized on its own
    (pandas releases the GIL for numbers); the second half's codes are then renumbered,
    so codes and uniques (in order of first appearance) equal those of a single call.
    """
    import pandas as pd

    values = entity.to_numpy() if isinstance(entity, pd.Series) else np.asarray(entity)
    if values.dtype.kind not in "iu":
        codes, uniques = pd.factorize(entity, sort=False, use_na_sentinel=True)
        return codes.astype(np.int64, copy=False), pd.Index(uniques)
    n = len(values)
    if n < PARALLEL_MIN_EVENTS or _workers() < 2:
        codes, found = _factorize_ints(values)
        return codes.astype(np.int64, copy=False), pd.Index(found)
    half = n // 2
    (c1, u1), (c2, u2) = pool().map(_factorize_ints, (values[:half], values[half:]))
    del values
    first = pd.Index(u1)
    where = first.get_indexer(u2)
    new = where < 0
    where[new] = len(u1) + np.arange(int(new.sum()))
    codes = np.empty(n, dtype=np.int64)
    codes[:half] = c1
    del c1
    np.take(where.astype(np.int64, copy=False), c2, out=codes[half:])
    uniques = first.append(pd.Index(u2[new]))
    return codes, uniques


def _factorize_ints(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Codes and uniques of integer ids, from a hash table that starts small."""
    try:
        from pandas.core.algorithms import factorize_array

        codes, uniques = factorize_array(values, size_hint=min(len(values), 4096))
    except (ImportError, TypeError):  # a pandas without this internal helper
        import pandas as pd

        codes, uniques = pd.factorize(values, sort=False)
    return codes, np.asarray(uniques)


@dataclass
class Queries:
    """A spine mapped onto one prepared source, sorted for fast, cache-friendly search."""

    order: np.ndarray  # spine row of each sorted query
    code: np.ndarray  # entity code per sorted query (n_codes, an empty entity, if unknown)
    known: np.ndarray  # False for unknown entities
    t_ns: np.ndarray  # query time in ns per sorted query
    hi: np.ndarray  # end of the visible range per sorted query (non-decreasing)
    cuts: np.ndarray  # the queries of code span i are [cuts[i], cuts[i + 1])
    _bounds: dict[int | None, np.ndarray] = field(default_factory=dict)

    def tasks(self, prep: Prepared) -> list[tuple[int, int, int, int]]:
        """``(a, b, q0, q1)`` per code span: events ``[a, b)`` and their queries ``[q0, q1)``.

        Queries of unknown entities follow the last span; their ranges are empty.
        """
        edges = prep.code_spans()
        bounds = prep.starts[edges]
        return [
            (int(bounds[i]), int(bounds[i + 1]), int(self.cuts[i]), int(self.cuts[i + 1]))
            for i in range(len(edges) - 1)
        ]

    def lo(self, prep: Prepared, window_ns: int | None) -> np.ndarray:
        """Start of the visible range for ``window_ns`` (``None``: all history)."""
        if window_ns not in self._bounds:
            if window_ns is None:
                lo = prep.starts[self.code]
            else:
                lo_ticks = _ceil_div(self.t_ns - window_ns, prep.unit_ns)
                needle = self.code * prep.stride + prep.offsets(lo_ticks)
                del lo_ticks
                lo = _search(prep, self.tasks(prep), needle)
            np.minimum(lo, self.hi, out=lo)
            self._bounds[window_ns] = lo
        return self._bounds[window_ns]


def _ceil_div(a: np.ndarray, b: int) -> np.ndarray:
    if b == 1:
        return a
    return -((-a) // b)


def map_queries(
    prep: Prepared,
    entity: pd.Series,
    t_ns: np.ndarray,
    zone: str,
    what: str,
    entity_what: str = "spine entity column",
) -> Queries:
    """Locate each spine row's entity and visible upper bound in ``prep``.

    Raises
    ------
    InvalidSpec
        If the spine's zone clashes with the source's, or the entity types cannot match.
    """
    check_zones(zone, what, prep.zone, f"{prep.what} timestamp")
    _check_entity_types(entity, prep, entity_what)
    n_codes = len(prep.uniques)
    code = prep.uniques.get_indexer(entity)
    code = np.asarray(code, dtype=np.int64)
    known = code >= 0
    # unknown entities get the empty virtual entity n_codes, whose keys follow every event's
    # key, so hi and each lo are non-decreasing over the sorted queries
    code = np.where(known, code, n_codes)
    offset = prep.offsets(_ceil_div(t_ns, prep.unit_ns))
    # sort by (code, offset); offsets run up to stride inclusive, hence stride + 1 here
    order, _ = sort_keys(code * (prep.stride + 1) + offset, code, n_codes + 1)
    code, known, t_sorted = code[order], known[order], t_ns[order]
    hi_key = code * prep.stride + offset[order]
    del offset
    cuts = np.searchsorted(code, prep.code_spans(), side="left")
    q = Queries(order=order, code=code, known=known, t_ns=t_sorted, hi=hi_key, cuts=cuts)
    q.hi = _search(prep, q.tasks(prep), hi_key)
    return q


def _search(prep: Prepared, tasks: list[tuple[int, int, int, int]], needle: np.ndarray) -> Any:
    """``np.searchsorted(prep.keys, needle)`` for needles sorted by code, span by span.

    A needle of entity ``c`` lands inside ``c``'s own segment, so each span searches only
    its slice of the keys (in parallel); needles of unknown entities get ``n_events``.
    """
    out = np.full(len(needle), prep.n_events, dtype=np.int64)

    def work(task: tuple[int, int, int, int]) -> None:
        a, b, q0, q1 = task
        if q1 > q0:
            found = np.searchsorted(prep.keys[a:b], needle[q0:q1], side="left")
            np.add(found, a, out=out[q0:q1])

    _run(work, tasks, prep.n_events)
    return out


def _check_entity_types(entity: pd.Series, prep: Prepared, what: str) -> None:
    import pandas as pd

    if len(prep.uniques) == 0 or len(entity) == 0:
        return
    src_numeric = pd.api.types.is_numeric_dtype(prep.uniques.dtype)
    spine_numeric = pd.api.types.is_numeric_dtype(entity.dtype)
    if src_numeric != spine_numeric:
        raise InvalidSpec(
            f"{what} holds {entity.dtype} values but {prep.what} entity ids are "
            f"{prep.uniques.dtype}: they can never match"
        )


def aggregate(
    prep: Prepared, col: Column | None, agg: str, q: Queries, window_ns: int | None
) -> Any:
    """One feature's values for the sorted queries ``q`` (see the module docstring)."""
    return next(aggregate_many(prep, q, [(col, agg, window_ns)]))


def aggregate_many(
    prep: Prepared, q: Queries, items: list[tuple[Column | None, str, int | None]]
) -> Iterator[Any]:
    """Yield the values of each ``(column, agg, window)`` in ``items``, in order.

    The sums (and counts, for columns with nulls) that ``sum`` and ``mean`` need are
    computed for every window of a column in one blockwise pass over its events.
    """
    totals: dict[tuple[int, int | None], tuple[np.ndarray, np.ndarray]] = {}
    if prep.n_events:
        wanted: dict[int, tuple[Column, list[int | None]]] = {}
        for col, agg, window_ns in items:
            if agg in ("sum", "mean") and col is not None and col.numeric:
                windows = wanted.setdefault(id(col), (col, []))[1]
                if window_ns not in windows:
                    windows.append(window_ns)
        for key, (sum_col, windows) in wanted.items():
            los = [q.lo(prep, w) for w in windows]
            found = window_sums(sum_col, q.hi, los, q.tasks(prep), prep.starts, q.code)
            for w, pair in zip(windows, found, strict=True):
                totals[key, w] = pair
            del found
    for col, agg, window_ns in items:
        got = totals.get((id(col), window_ns)) if col is not None else None
        if got is None or agg not in ("sum", "mean"):
            yield _aggregate_one(prep, col, agg, q, window_ns)
        elif agg == "sum":
            yield got[0]
        else:
            total, count = got
            mean = np.full(len(total), np.nan)
            np.divide(total, count, out=mean, where=count > 0)
            yield mean


def _aggregate_one(
    prep: Prepared, col: Column | None, agg: str, q: Queries, window_ns: int | None
) -> Any:
    lo, hi = q.lo(prep, window_ns), q.hi
    if prep.n_events == 0:  # every window is empty
        if agg in ("count", "count_distinct"):
            return np.zeros(len(hi), dtype=np.int64)
        if agg == "sum":
            return np.zeros(len(hi))
        if col is not None and not col.numeric:
            return _take(col, np.zeros(len(hi), dtype=np.int64), np.zeros(len(hi), dtype=bool))
        return np.full(len(hi), np.nan)
    if agg == "count":
        if col is None or col.all_valid:
            return hi - lo
        pc = col.prefix_count()
        return pc[hi] - pc[lo]
    if col is None:
        raise InvalidSpec(f"agg {agg!r} needs a column")
    if agg in ("sum", "mean"):  # a non-numeric column (numeric ones go via window_sums)
        raise InvalidSpec(f"agg {agg!r} needs a numeric column")
    if agg in ("min", "max"):
        return range_extreme(col.values, lo, hi, np.fmin if agg == "min" else np.fmax)
    if agg == "last" and col.all_valid:
        return _take(col, hi - 1, hi > lo)
    if agg == "first" and col.all_valid:
        return _take(col, lo, hi > lo)
    if agg == "last":
        lv = col.last_valid()
        j = lv[np.maximum(hi - 1, 0)]
        ok = (hi > lo) & (j >= lo)
        return _take(col, j, ok)
    if agg == "first":
        fv = col.first_valid()
        j = fv[lo]
        ok = (hi > lo) & (j < hi)
        return _take(col, j, ok)
    if agg == "count_distinct":
        return count_distinct(prep.sorted_codes, col, lo, hi)
    raise InvalidSpec(f"unknown agg {agg!r}")


def _take(col: Column, j: np.ndarray, ok: np.ndarray) -> Any:
    j = np.where(ok, j, 0)
    if col.numeric:
        if len(col.values) == 0:
            return np.full(len(j), np.nan)
        return np.where(ok, col.values[j], np.nan)
    codes = np.where(ok, col.values[j] if len(col.values) else -1, -1)
    return col.labels.take(codes, allow_fill=True, fill_value=None).array
