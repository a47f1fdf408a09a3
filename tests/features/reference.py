"""A brute-force reference for the point-in-time engine: plain Python loops, no cleverness.

It implements the documented semantics literally, so the engine (and the benchmark in
``bench/features``) can be checked against it:

- ``vis = max(ts, created_at)`` when a ``created_at`` column is given (a null
  ``created_at`` falls back to ``ts``), else ``vis = ts``;
- an event counts for a query at ``t`` iff ``t - window <= vis < t`` (no window: ``vis < t``);
- null values are ignored (``count`` of a column counts non-null values; ``count`` with
  ``column=None`` counts events);
- empty: ``count``/``count_distinct`` 0, ``sum`` 0.0, everything else NaN;
- ``last``/``first``: greatest/least ``(vis, source row)`` among non-null values.

Timestamps are integers (epoch ms) or datetimes; both become integer nanoseconds.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd


def to_ns(values: Any) -> list[int | None]:
    """Integer nanoseconds per value (ints are epoch ms); None for nulls."""
    series = pd.Series(values)
    if pd.api.types.is_integer_dtype(series.dtype) or (
        series.dtype == object and all(isinstance(v, int | np.integer) or v is None for v in series)
    ):
        return [None if pd.isna(v) else int(v) * 1_000_000 for v in series]
    out: list[int | None] = []
    for v in series:
        if pd.isna(v):
            out.append(None)
        else:
            stamp = pd.Timestamp(v)
            if stamp.tzinfo is not None:
                stamp = stamp.tz_convert("UTC").tz_localize(None)
            out.append(int(stamp.as_unit("ns").value))
    return out


def _is_null(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA or v is pd.NaT


def reference(
    events: pd.DataFrame,
    spine: pd.DataFrame,
    features: Mapping[str, tuple[str | None, str, int | None]],
    *,
    entity: str,
    timestamp: str,
    created_at: str | None = None,
    spine_entity: str | None = None,
    spine_timestamp: str | None = None,
) -> pd.DataFrame:
    """Feature values per spine row; ``features`` maps name -> (column, agg, window_ns)."""
    spine_entity = spine_entity or entity
    spine_timestamp = spine_timestamp or timestamp
    ts = to_ns(events[timestamp])
    made = to_ns(events[created_at]) if created_at else [None] * len(events)
    by_entity: dict[Any, list[tuple[int, int, int]]] = defaultdict(list)
    for row, (ent, t, c) in enumerate(zip(events[entity].tolist(), ts, made, strict=True)):
        if _is_null(ent) or t is None:
            continue
        vis = t if c is None else max(t, c)
        by_entity[ent].append((vis, row, row))
    q_ts = to_ns(spine[spine_timestamp])
    out: dict[str, list[Any]] = {name: [] for name in features}
    columns = {col: events[col].tolist() for col, _, _ in features.values() if col is not None}
    for ent, t in zip(spine[spine_entity].tolist(), q_ts, strict=True):
        assert t is not None
        candidates = [] if _is_null(ent) else by_entity.get(ent, [])
        for name, (col, agg, window) in features.items():
            inside = [
                (vis, row)
                for vis, row, _ in candidates
                if vis < t and (window is None or t - window <= vis)
            ]
            if col is None:
                pairs = [(vis, row, 1.0) for vis, row in inside]
            else:
                values = columns[col]
                pairs = [
                    (vis, row, values[row]) for vis, row in inside if not _is_null(values[row])
                ]
            vals = [v for _, _, v in pairs]
            if agg == "count":
                out[name].append(len(vals))
            elif agg == "count_distinct":
                out[name].append(len(set(vals)))
            elif agg == "sum":
                out[name].append(math.fsum(float(v) for v in vals))
            elif not vals:
                out[name].append(np.nan)
            elif agg == "mean":
                out[name].append(math.fsum(float(v) for v in vals) / len(vals))
            elif agg == "min":
                out[name].append(float(min(vals)))
            elif agg == "max":
                out[name].append(float(max(vals)))
            elif agg == "last":
                out[name].append(max(pairs, key=lambda p: (p[0], p[1]))[2])
            elif agg == "first":
                out[name].append(min(pairs, key=lambda p: (p[0], p[1]))[2])
            else:
                raise ValueError(agg)
    result = spine.copy()
    for name, values in out.items():
        result[name] = values
    return result
