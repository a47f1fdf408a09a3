"""Feast contender: ``get_historical_features`` on Feast's local file (Dask) offline store.

Runs in its own virtual environment (``bench/.venv-feast``; Feast pins pandas < 3), so it
imports only the stdlib-only helpers of this package. Same protocol as ``worker.py``:

``python -m bench.features.feast_worker FEATURE_TABLE SPINE OUT_PARQUET OUT_JSON``

The timed call is ``get_historical_features(...).to_df()`` plus restoring spine order, on a
feature view whose source is the parquet written by ``contenders.feast_prepare``.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
import traceback
from datetime import timedelta
from pathlib import Path

from bench.features import measure
from bench.features.workload import ENTITY, NAMES, TIMESTAMP

CONFIG = """\
project: bighead_bench
registry: {root}/registry.db
provider: local
online_store:
  type: sqlite
  path: {root}/online.db
offline_store:
  type: file
entity_key_serialization_version: 3
"""


def run(table: Path, spine_path: Path, out_parquet: Path) -> dict[str, object]:
    import feast
    import pandas as pd
    from feast import Entity, FeatureStore, FeatureView, Field, FileSource, ValueType
    from feast.types import Float64, Int64

    root = Path(tempfile.mkdtemp(prefix="feast-bench-"))
    (root / "feature_store.yaml").write_text(CONFIG.format(root=root))
    entity = Entity(name="entity", join_keys=[ENTITY], value_type=ValueType.INT64)
    source = FileSource(path=str(table), timestamp_field="event_timestamp")
    view = FeatureView(
        name="events_agg",
        entities=[entity],
        ttl=timedelta(0),  # 0 = no TTL: any earlier row may answer, as for ``last``
        schema=[Field(name=n, dtype=Int64 if n.endswith("_count") else Float64) for n in NAMES],
        source=source,
    )
    store = FeatureStore(repo_path=str(root))
    store.apply([entity, view])

    spine = pd.read_parquet(spine_path)
    entity_df = pd.DataFrame(
        {
            ENTITY: spine[ENTITY].to_numpy(),
            "event_timestamp": pd.to_datetime(spine[TIMESTAMP], unit="ms", utc=True),
            "qid": range(len(spine)),
        }
    )
    refs = [f"events_agg:{n}" for n in NAMES]
    record: dict[str, object] = {"contender": "feast", "feast_version": feast.__version__}
    base = measure.rss_mib()
    record["peak_exact"] = measure.reset_peak()
    t0 = time.perf_counter()
    df = store.get_historical_features(entity_df=entity_df, features=refs).to_df()
    # Feast collapses entity rows with the same (entity, timestamp) (its Dask store drops
    # duplicates on the join keys plus the timestamp), so map the answers back onto every
    # spine row, duplicates included, in spine order.
    df = (
        entity_df.merge(
            df.drop(columns="qid").drop_duplicates([ENTITY, "event_timestamp"]),
            on=[ENTITY, "event_timestamp"],
            how="left",
        )
        .sort_values("qid", kind="stable")
        .reset_index(drop=True)
    )
    record["seconds"] = time.perf_counter() - t0
    record["peak_mib"] = measure.peak_mib() - base
    record["baseline_rss_mib"] = base
    record["spine_order_ok"] = bool(
        len(df) == len(spine) and (df[ENTITY].to_numpy() == spine[ENTITY].to_numpy()).all()
    )
    record["missing_columns"] = [n for n in NAMES if n not in df.columns]
    df[["qid"] + [n for n in NAMES if n in df.columns]].astype("float64").to_parquet(
        out_parquet, index=False
    )
    return record


def main(argv: list[str]) -> int:
    table, spine, out_parquet, out_json = argv
    try:
        record = run(Path(table), Path(spine), Path(out_parquet))
    except Exception as exc:
        record = {
            "contender": "feast",
            "error": f"{type(exc).__name__}: {exc}",
            "traceback": traceback.format_exc(),
        }
    Path(out_json).write_text(json.dumps(record))
    return 0 if "error" not in record else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
