"""The contenders: one function each, ``(events_path, spine) -> DataFrame``.

Every contender gets the same inputs and owes the same output, which is the contract of
``FeatureRepo.materialize``. The input is the events parquet path and the spine as a pandas
DataFrame, and the output is a pandas DataFrame with the spine's rows, in spine order and
with duplicates kept, plus one column per feature in :data:`workload.NAMES`. Reading the
parquet is therefore inside every contender's timed call.

Heavy imports happen inside the functions so that a worker process loads only its own
library (and its memory is not charged to the others).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bench.features.workload import ENTITY, FEATURES, NAMES, TIMESTAMP, VALUE, WINDOWS_MS


def _mean_and_fill_sql(prefix_sum: str, prefix_count: str) -> str:
    """SQL select list of the ten features from per-window sums and counts (``s1d``, ...)."""
    parts = []
    for w in WINDOWS_MS:
        parts.append(f"coalesce({prefix_sum}{w}, 0.0) AS v_{w}_sum")
        parts.append(f"coalesce({prefix_count}{w}, 0)::BIGINT AS v_{w}_count")
        parts.append(f"{prefix_sum}{w} / nullif({prefix_count}{w}, 0) AS v_{w}_mean")
    parts.append("last_v AS v_last")
    return ",\n  ".join(parts)


def _duckdb_frame(con: Any, sql: str, spine: pd.DataFrame) -> pd.DataFrame:
    out = con.execute(sql).df()
    for name in NAMES:
        if out[name].dtype != np.int64:
            out[name] = out[name].astype(np.float64)
    return out


def duckdb_window(events_path: Path, spine: pd.DataFrame) -> pd.DataFrame:
    """DuckDB, RANGE window frames over the union of events and queries.

    Each query row becomes a row of its entity's partition with a NULL value; a frame
    ``RANGE BETWEEN w PRECEDING AND 1 PRECEDING`` on the integer millisecond ``ts`` is exactly
    ``t - w <= ts < t`` (closed lower, open upper). DuckDB evaluates these frames with
    segment trees, so sums are not differences of prefix sums and stay precise.
    """
    import duckdb

    con = duckdb.connect()
    q = spine[[ENTITY, TIMESTAMP]].assign(qid=np.arange(len(spine), dtype=np.int64))
    con.register("spine", q)
    frames = ",\n  ".join(
        f"w{w} AS (PARTITION BY {ENTITY} ORDER BY {TIMESTAMP} "
        f"RANGE BETWEEN {ms} PRECEDING AND 1 PRECEDING)"
        for w, ms in WINDOWS_MS.items()
    )
    aggs = ",\n    ".join(
        f"sum({VALUE}) OVER w{w} AS s{w}, count({VALUE}) OVER w{w} AS c{w}" for w in WINDOWS_MS
    )
    sql = f"""
    WITH u AS (
      SELECT {ENTITY}, {TIMESTAMP}, {VALUE}::DOUBLE AS {VALUE}, NULL::BIGINT AS qid
      FROM read_parquet('{events_path}')
      UNION ALL
      SELECT {ENTITY}, {TIMESTAMP}, NULL::DOUBLE, qid FROM spine
    ), w AS (
      SELECT qid, {ENTITY}, {TIMESTAMP},
        {aggs},
        last_value({VALUE} IGNORE NULLS) OVER (
          PARTITION BY {ENTITY} ORDER BY {TIMESTAMP}
          RANGE BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS last_v
      FROM u
      WINDOW {frames}
      QUALIFY qid IS NOT NULL
    )
    SELECT {ENTITY}, {TIMESTAMP},
      {_mean_and_fill_sql("s", "c")}
    FROM w ORDER BY qid
    """
    return _duckdb_frame(con, sql, spine)


def duckdb_asof(events_path: Path, spine: pd.DataFrame) -> pd.DataFrame:
    """DuckDB, per-entity running sums plus one ASOF JOIN per window boundary.

    ``C(b)`` = sum of the entity's events with ``ts < b`` is the running sum at the last event
    strictly before ``b`` (``ASOF ... AND b > ev.ts``). A window is ``C(t) - C(t - w)``: the
    lower bound ``t - w`` is closed because ``C(t - w)`` excludes events at exactly ``t - w``.
    """
    import duckdb

    con = duckdb.connect()
    q = spine[[ENTITY, TIMESTAMP]].assign(qid=np.arange(len(spine), dtype=np.int64))
    con.register("spine", q)
    joins = "\n".join(
        f"ASOF LEFT JOIN ev l{w} ON q.{ENTITY} = l{w}.{ENTITY} "
        f"AND q.{TIMESTAMP} - {ms} > l{w}.{TIMESTAMP}"
        for w, ms in WINDOWS_MS.items()
    )
    # u.cs - NULL is NULL when no event precedes t - w; fix that case below.
    fixes = ",\n    ".join(
        f"CASE WHEN l{w}.cs IS NULL THEN u.cs ELSE u.cs - l{w}.cs END AS s{w}, "
        f"u.cn - coalesce(l{w}.cn, 0) AS c{w}"
        for w in WINDOWS_MS
    )
    sql = f"""
    WITH ev AS (
      SELECT {ENTITY}, {TIMESTAMP}, {VALUE}::DOUBLE AS {VALUE},
        sum({VALUE}) OVER (PARTITION BY {ENTITY} ORDER BY {TIMESTAMP}
                           ROWS UNBOUNDED PRECEDING) AS cs,
        row_number() OVER (PARTITION BY {ENTITY} ORDER BY {TIMESTAMP}) AS cn
      FROM read_parquet('{events_path}')
    ), j AS (
      SELECT q.qid, q.{ENTITY}, q.{TIMESTAMP},
        {fixes},
        u.{VALUE} AS last_v
      FROM spine q
      ASOF LEFT JOIN ev u ON q.{ENTITY} = u.{ENTITY} AND q.{TIMESTAMP} > u.{TIMESTAMP}
      {joins}
    )
    SELECT {ENTITY}, {TIMESTAMP},
      {_mean_and_fill_sql("s", "c")}
    FROM j ORDER BY qid
    """
    return _duckdb_frame(con, sql, spine)


def polars_asof(events_path: Path, spine: pd.DataFrame) -> pd.DataFrame:
    """Polars, ``cum_sum().over(entity)`` plus ``join_asof`` per window boundary.

    ``join_asof(strategy="backward", allow_exact_matches=False)`` finds the last event with
    ``ts < b``, so ``C(t) - C(t - w)`` counts ``t - w <= ts < t``.
    """
    import polars as pl

    ev = (
        pl.read_parquet(events_path)
        .sort(TIMESTAMP)
        .with_columns(
            cs=pl.col(VALUE).cum_sum().over(ENTITY),
            cn=pl.int_range(1, pl.len() + 1, dtype=pl.Int64).over(ENTITY),
        )
    )
    q = pl.from_pandas(spine[[ENTITY, TIMESTAMP]]).with_row_index("qid").sort(TIMESTAMP)
    right = ev.select(ENTITY, TIMESTAMP, "cs", "cn", VALUE)
    up = q.join_asof(
        right,
        on=TIMESTAMP,
        by=ENTITY,
        strategy="backward",
        allow_exact_matches=False,
        check_sortedness=False,
    )
    out = up.select(
        "qid",
        ENTITY,
        TIMESTAMP,
        cs_u=pl.col("cs").fill_null(0.0),
        cn_u=pl.col("cn").fill_null(0),
        v_last=pl.col(VALUE),
    )
    for w, ms in WINDOWS_MS.items():
        # q is sorted by ts, hence also by ts - ms: one sort serves every boundary, and
        # join_asof keeps the left order, so the columns line up with ``up``.
        lo = q.with_columns(b=pl.col(TIMESTAMP) - ms).join_asof(
            right.select(ENTITY, TIMESTAMP, "cs", "cn"),
            left_on="b",
            right_on=TIMESTAMP,
            by=ENTITY,
            strategy="backward",
            allow_exact_matches=False,
            check_sortedness=False,
        )
        s = pl.col("cs_u") - lo["cs"].fill_null(0.0)
        c = pl.col("cn_u") - lo["cn"].fill_null(0)
        out = out.with_columns(s.alias(f"v_{w}_sum"), c.alias(f"v_{w}_count")).with_columns(
            pl.when(pl.col(f"v_{w}_count") > 0)
            .then(pl.col(f"v_{w}_sum") / pl.col(f"v_{w}_count"))
            .otherwise(None)
            .alias(f"v_{w}_mean")
        )
    out = out.sort("qid").select(ENTITY, TIMESTAMP, *NAMES)
    return out.to_pandas()


def _probe_offsets() -> list[tuple[str | None, int]]:
    """The probe boundaries of one query: ``t`` itself (tag 0) and ``t - w`` per window."""
    return [(None, 0), *WINDOWS_MS.items()]


def polars_probe(events_path: Path, spine: pd.DataFrame) -> pd.DataFrame:
    """Polars, one ``join_asof`` of a probe frame sorted by ``(entity, probe time)``.

    Each query ``i`` becomes four probe rows, ``t``, ``t - 1d``, ``t - 7d`` and ``t - 30d``,
    tagged ``r = k * n + i`` (``k`` is the boundary). Sorted by ``(entity, probe time)``, they
    meet the events sorted by ``(entity, ts)`` with per-entity running sums ``cs`` and counts
    ``cn`` in ONE ``join_asof(by=entity, strategy="backward", allow_exact_matches=False)``:
    the match is the last event strictly before the probe time, so ``C(b)`` excludes events
    at ``b``. A window is ``C(t) - C(t - w)``, and ``last`` is the value matched at ``t``.
    Sorting by entity first keeps each entity's events and probes together in memory.
    """
    import polars as pl

    n = len(spine)
    ev = (
        pl.read_parquet(events_path, columns=[ENTITY, TIMESTAMP, VALUE])
        .sort(ENTITY, TIMESTAMP)
        .with_columns(
            cs=pl.col(VALUE).cum_sum().over(ENTITY),
            cn=pl.int_range(1, pl.len() + 1, dtype=pl.Int64).over(ENTITY),
        )
    )
    q = pl.from_pandas(spine[[ENTITY, TIMESTAMP]])
    probes = pl.concat(
        [
            q.select(
                ENTITY,
                pt=pl.col(TIMESTAMP) - ms,
                r=pl.int_range(k * n, (k + 1) * n, dtype=pl.Int64),
            )
            for k, (_, ms) in enumerate(_probe_offsets())
        ]
    ).sort(ENTITY, "pt")
    hit = (
        probes.join_asof(
            ev.select(ENTITY, TIMESTAMP, "cs", "cn", VALUE),
            left_on="pt",
            right_on=TIMESTAMP,
            by=ENTITY,
            strategy="backward",
            allow_exact_matches=False,
            check_sortedness=False,
        )
        .sort("r")
        .select(cs=pl.col("cs").fill_null(0.0), cn=pl.col("cn").fill_null(0), last=pl.col(VALUE))
    )
    up = hit.slice(0, n)
    cols = {ENTITY: q[ENTITY], TIMESTAMP: q[TIMESTAMP]}
    for k, (w, _) in enumerate(_probe_offsets()):
        if w is None:
            continue
        lo = hit.slice(k * n, n)
        s = up["cs"] - lo["cs"]
        c = up["cn"] - lo["cn"]
        cols[f"v_{w}_sum"] = s
        cols[f"v_{w}_count"] = c
        cols[f"v_{w}_mean"] = pl.select(pl.when(c > 0).then(s / c).otherwise(None)).to_series()
    cols["v_last"] = up["last"]
    out = pl.DataFrame({name: series.alias(name) for name, series in cols.items()})
    return out.select(ENTITY, TIMESTAMP, *NAMES).to_pandas()


def duckdb_probe(events_path: Path, spine: pd.DataFrame) -> pd.DataFrame:
    """DuckDB, the probe idea of :func:`polars_probe`: ONE ``ASOF LEFT JOIN``.

    The probe rows (``t`` and each ``t - w``, tagged with the query id and the boundary)
    are a ``UNION ALL`` of the spine; one ASOF join on ``(entity, p.pt > ev.ts)`` finds the
    running sum and count strictly before each probe, and a ``GROUP BY qid`` with
    ``FILTER`` per boundary turns the four rows of a query back into one.
    """
    import duckdb

    con = duckdb.connect()
    q = spine[[ENTITY, TIMESTAMP]].assign(qid=np.arange(len(spine), dtype=np.int64))
    con.register("spine", q)
    probes = "\n      UNION ALL\n      ".join(
        f"SELECT qid, {ENTITY}, {TIMESTAMP} - {ms} AS pt, {k} AS k FROM spine"
        for k, (_, ms) in enumerate(_probe_offsets())
    )
    picks = [
        "any_value(coalesce(cs, 0.0)) FILTER (WHERE k = 0) AS cs0",
        "any_value(coalesce(cn, 0)) FILTER (WHERE k = 0) AS cn0",
        "any_value(v) FILTER (WHERE k = 0) AS last_v",
    ]
    sums = []
    for k, (w, _) in enumerate(_probe_offsets()):
        if w is None:
            continue
        picks.append(f"any_value(coalesce(cs, 0.0)) FILTER (WHERE k = {k}) AS cs{k}")
        picks.append(f"any_value(coalesce(cn, 0)) FILTER (WHERE k = {k}) AS cn{k}")
        sums.append(f"cs0 - cs{k} AS s{w}, cn0 - cn{k} AS c{w}")
    sql = f"""
    WITH ev AS (
      SELECT {ENTITY}, {TIMESTAMP}, {VALUE}::DOUBLE AS v,
        sum({VALUE}) OVER (PARTITION BY {ENTITY} ORDER BY {TIMESTAMP}
                           ROWS UNBOUNDED PRECEDING) AS cs,
        row_number() OVER (PARTITION BY {ENTITY} ORDER BY {TIMESTAMP}) AS cn
      FROM read_parquet('{events_path}')
    ), p AS (
      {probes}
    ), j AS (
      SELECT p.qid, p.k, ev.cs, ev.cn, ev.v
      FROM p ASOF LEFT JOIN ev ON p.{ENTITY} = ev.{ENTITY} AND p.pt > ev.{TIMESTAMP}
    ), g AS (
      SELECT qid, {", ".join(picks)} FROM j GROUP BY qid
    ), w AS (
      SELECT qid, {", ".join(sums)}, last_v FROM g
    )
    SELECT spine.{ENTITY}, spine.{TIMESTAMP},
      {_mean_and_fill_sql("s", "c")}
    FROM spine JOIN w USING (qid) ORDER BY qid
    """
    return _duckdb_frame(con, sql, spine)


def ours_repo(events_path: Path, repo_dir: Path | None = None) -> Any:
    """Our engine: a fresh ``FeatureRepo`` with the ten features applied (nothing computed)."""
    from jupyter_bighead.features import EventSource, Feature, FeatureRepo

    repo = FeatureRepo(repo_dir if repo_dir is not None else tempfile.mkdtemp(prefix="fr-"))
    src = EventSource("events", path=str(events_path), entity=ENTITY, timestamp=TIMESTAMP)
    repo.apply(
        [Feature(name, source=src, column=VALUE, agg=agg, window=w) for name, agg, w in FEATURES]
    )
    return repo


def ours_materialize(repo: Any, spine: pd.DataFrame) -> pd.DataFrame:
    return repo.materialize(spine, NAMES, entity=ENTITY, timestamp=TIMESTAMP)


def cleanup_repo(repo_dir: Path) -> None:
    shutil.rmtree(repo_dir, ignore_errors=True)


CONTENDERS: dict[str, Callable[[Path, pd.DataFrame], pd.DataFrame]] = {
    "duckdb": duckdb_window,
    "duckdb-asof": duckdb_asof,
    "duckdb-probe": duckdb_probe,
    "polars": polars_asof,
    "polars-probe": polars_probe,
}


def feast_prepare(events_path: Path, out_path: Path) -> None:
    """Write the table Feast's point-in-time join reads (not timed: it is Feast's ETL step).

    Feast's offline store only joins the latest row at or before the query time within a
    TTL; it cannot aggregate a window that ends at the query time. What a Feast user would do
    is precompute, per event ``x``, the aggregates as they stand just after ``x`` (window
    ``x + 1ms - w <= ts <= x``) and let Feast pick the latest such row. Those values go stale
    when events leave the window between ``x`` and the query time, so only ``v_last`` is
    expected to match the reference. Rows are stamped ``x + 1ms`` because Feast includes rows
    at exactly the query time and our contract excludes them.
    """
    import duckdb

    frames = ",\n  ".join(
        f"w{w} AS (PARTITION BY {ENTITY} ORDER BY {TIMESTAMP} "
        f"RANGE BETWEEN {ms - 1} PRECEDING AND CURRENT ROW)"
        for w, ms in WINDOWS_MS.items()
    )
    cols = ",\n    ".join(
        f"sum({VALUE}) OVER w{w} AS v_{w}_sum, count({VALUE}) OVER w{w} AS v_{w}_count, "
        f"avg({VALUE}) OVER w{w} AS v_{w}_mean"
        for w in WINDOWS_MS
    )
    duckdb.sql(
        f"""
        COPY (
          SELECT {ENTITY},
            make_timestamp(({TIMESTAMP} + 1) * 1000)::TIMESTAMPTZ AS event_timestamp,
            {cols},
            {VALUE} AS v_last
          FROM read_parquet('{events_path}')
          WINDOW {frames}
        ) TO '{out_path}' (FORMAT parquet)
        """
    )
