"""Brute-force reference and the comparison every contender is checked with.

The reference answers each query on its own: it slices the entity's events with
``searchsorted`` and sums the window with :func:`math.fsum`, which is correctly rounded, so
the reference itself carries no summation error. It is slow on purpose and is run on every
query at small scales and on a random sample of queries at large ones.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from bench.features.workload import COUNT_NAMES, ENTITY, FEATURES, TIMESTAMP, VALUE, WINDOWS_MS

TOLERANCE = 1e-9


def reference(events: pd.DataFrame, spine: pd.DataFrame, rows: np.ndarray) -> pd.DataFrame:
    """Return the ten features for ``spine.iloc[rows]`` (index = ``rows``)."""
    ent = events[ENTITY].to_numpy()
    ts = events[TIMESTAMP].to_numpy()
    val = events[VALUE].to_numpy(dtype=np.float64)
    order = np.lexsort((ts, ent))
    ent, ts, val = ent[order], ts[order], val[order]
    ids, starts = np.unique(ent, return_index=True)
    ends = np.append(starts[1:], len(ent))
    where = {int(e): (int(s), int(t)) for e, s, t in zip(ids, starts, ends, strict=True)}

    q_ent = spine[ENTITY].to_numpy()[rows]
    q_ts = spine[TIMESTAMP].to_numpy()[rows]
    out = {name: np.empty(len(rows)) for name, _, _ in FEATURES}
    for i, (e, t) in enumerate(zip(q_ent.tolist(), q_ts.tolist(), strict=True)):
        lo, hi = where.get(e, (0, 0))
        ets = ts[lo:hi]
        upper = lo + int(np.searchsorted(ets, t, side="left"))  # events with ts < t
        for window, width in WINDOWS_MS.items():
            lower = lo + int(np.searchsorted(ets, t - width, side="left"))  # ts >= t - w
            values = val[lower:upper]
            s = math.fsum(values.tolist())
            n = upper - lower
            out[f"v_{window}_sum"][i] = s
            out[f"v_{window}_count"][i] = n
            out[f"v_{window}_mean"][i] = s / n if n else math.nan
        out["v_last"][i] = val[upper - 1] if upper > lo else math.nan
    df = pd.DataFrame(out, index=rows)
    for name in COUNT_NAMES:
        df[name] = df[name].astype(np.int64)
    return df


def compare(got: pd.DataFrame, ref: pd.DataFrame) -> dict[str, object]:
    """Compare ``got`` (all spine rows, spine order) with ``ref`` on ``ref``'s rows.

    Counts must be equal. Other columns must agree within :data:`TOLERANCE` relative; an
    exact zero or a NaN in the reference must be matched exactly. Returns the worst relative
    error, the number of bad cells per column and a few bad examples.
    """
    rows = ref.index.to_numpy()
    report: dict[str, object] = {"checked_rows": len(rows)}
    worst = 0.0
    bad: dict[str, int] = {}
    examples: list[dict[str, object]] = []
    for name, _, _ in FEATURES:
        if name not in got.columns:
            bad[name] = len(rows)
            continue
        g = pd.to_numeric(got[name], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        g = g[rows]
        r = ref[name].to_numpy(dtype=np.float64)
        both_nan = np.isnan(g) & np.isnan(r)
        with np.errstate(divide="ignore", invalid="ignore"):
            rel = np.abs(g - r) / np.abs(r)
        rel = np.where(r == 0, np.where(g == 0, 0.0, np.inf), rel)
        rel = np.where(both_nan, 0.0, rel)
        rel = np.where(np.isnan(rel), np.inf, rel)  # NaN on one side only
        limit = 0.0 if name in COUNT_NAMES else TOLERANCE
        wrong = rel > limit
        bad[name] = int(wrong.sum())
        if len(rel):
            worst = max(worst, float(rel.max()))
        for j in np.flatnonzero(wrong)[:2]:
            examples.append(
                {"row": int(rows[j]), "feature": name, "expected": float(r[j]), "got": float(g[j])}
            )
    report["max_rel_error"] = worst
    report["bad_cells"] = bad
    report["ok"] = not any(bad.values())
    report["examples"] = examples[:10]
    return report
