"""Every kind of source gives the same values: parquet file, folder, CSV, DuckDB SQL."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import HOUR_MS, write_parquet

from jupyter_bighead.errors import InvalidSpec, NotFound
from jupyter_bighead.features import EventSource, Feature, FeatureRepo

SPINE = pd.DataFrame(
    {"user_id": [1, 1, 2, 1, 3], "ts": [HOUR_MS, 2 * HOUR_MS, 3 * HOUR_MS, 25 * HOUR_MS, 0]}
)
EXPECTED_SUM_ALL = [10.0, 30.0, 5.0, 70.0, 0.0]


def _materialize(tmp_path, src, spine=SPINE):
    repo = FeatureRepo(tmp_path / "repo")
    repo.apply([Feature("s", source=src, column="amount", agg="sum")])
    return repo.materialize(spine, ["s"], entity="user_id", timestamp="ts")["s"].tolist()


def test_parquet_file_source(tmp_path, events):
    src = EventSource(
        "e", path=str(write_parquet(tmp_path, events)), entity="user_id", timestamp="ts"
    )
    assert _materialize(tmp_path, src) == EXPECTED_SUM_ALL


def test_folder_of_parquet_files_source(tmp_path, events):
    folder = tmp_path / "events"
    folder.mkdir()
    events.iloc[:3].to_parquet(folder / "part-0.parquet", index=False)
    events.iloc[3:].to_parquet(folder / "part-1.parquet", index=False)
    src = EventSource("e", path=str(folder), entity="user_id", timestamp="ts")
    assert src.kind == "parquet_dir"
    assert _materialize(tmp_path, src) == EXPECTED_SUM_ALL


def test_empty_folder_raises_not_found(tmp_path):
    (tmp_path / "empty").mkdir()
    src = EventSource("e", path=str(tmp_path / "empty"), entity="user_id", timestamp="ts")
    with pytest.raises(NotFound, match=r"holds no parquet files"):
        _materialize(tmp_path, src)


def test_csv_source_with_iso_timestamps(tmp_path, events):
    frame = events.assign(
        ts=pd.to_datetime(events["ts"], unit="ms").dt.strftime("%Y-%m-%dT%H:%M:%S")
    )
    frame.to_csv(tmp_path / "e.csv", index=False)
    src = EventSource("e", path=str(tmp_path / "e.csv"), entity="user_id", timestamp="ts")
    spine = SPINE.assign(ts=pd.to_datetime(SPINE["ts"], unit="ms"))
    assert _materialize(tmp_path, src, spine) == EXPECTED_SUM_ALL


def test_csv_bad_timestamp_names_the_line(tmp_path):
    (tmp_path / "e.csv").write_text("user_id,ts,amount\n1,2024-01-01,1\n1,not-a-date,2\n")
    src = EventSource("e", path=str(tmp_path / "e.csv"), entity="user_id", timestamp="ts")
    with pytest.raises(InvalidSpec, match=r"'not-a-date'.*line 3"):
        _materialize(tmp_path, src)


def test_csv_bad_number_names_the_line(tmp_path):
    (tmp_path / "e.csv").write_text("user_id,ts,amount\n1,5,1\n1,6,2\n1,7,oops\n")
    src = EventSource("e", path=str(tmp_path / "e.csv"), entity="user_id", timestamp="ts")
    with pytest.raises(
        InvalidSpec, match=r"column 'amount' has non-numeric value 'oops' on line 4"
    ):
        _materialize(tmp_path, src)


def test_sql_source_over_duckdb(tmp_path, events):
    pytest.importorskip("duckdb")
    path = write_parquet(tmp_path, events)
    src = EventSource(
        "e",
        query=f"SELECT user_id, ts, amount FROM read_parquet('{path}') ORDER BY ts",
        entity="user_id",
        timestamp="ts",
    )
    assert _materialize(tmp_path, src) == EXPECTED_SUM_ALL


def test_sql_source_lacking_a_column_names_it(tmp_path):
    pytest.importorskip("duckdb")
    src = EventSource("e", query="SELECT 1 AS user_id, 2 AS ts", entity="user_id", timestamp="ts")
    with pytest.raises(InvalidSpec, match=r"the SQL query lacks column 'amount'"):
        _materialize(tmp_path, src)


def test_late_rows_count_only_from_their_created_at(tmp_path):
    events = pd.DataFrame(
        {
            "user_id": [1, 1],
            "ts": [0, HOUR_MS],
            "created": [0, 10 * HOUR_MS],  # the second booking arrived 9 hours late
            "amount": [1.0, 100.0],
        }
    )
    path = write_parquet(tmp_path, events)
    src = EventSource("e", path=str(path), entity="user_id", timestamp="ts", created_at="created")
    spine = pd.DataFrame({"user_id": [1, 1, 1], "ts": [5 * HOUR_MS, 10 * HOUR_MS, 11 * HOUR_MS]})
    assert _materialize(tmp_path, src, spine) == [1.0, 1.0, 101.0]


def test_created_at_moves_the_event_into_later_windows(tmp_path):
    events = pd.DataFrame({"user_id": [1], "ts": [0], "created": [10 * HOUR_MS], "amount": [7.0]})
    src = EventSource(
        "e",
        path=str(write_parquet(tmp_path, events)),
        entity="user_id",
        timestamp="ts",
        created_at="created",
    )
    repo = FeatureRepo(tmp_path / "repo")
    repo.apply([Feature("s", source=src, column="amount", agg="sum", window="1h")])
    spine = pd.DataFrame({"user_id": [1, 1, 1], "ts": [10 * HOUR_MS, 11 * HOUR_MS, 12 * HOUR_MS]})
    assert repo.materialize(spine, ["s"])["s"].tolist() == [0.0, 7.0, 0.0]


def test_string_entities_and_rows_with_null_keys_are_dropped(tmp_path):
    events = pd.DataFrame(
        {
            "user": ["a", "b", None, "a"],
            "ts": pd.to_datetime([0, 0, 0, None], unit="ms"),
            "amount": [1.0, 2.0, 4.0, 8.0],
        }
    )
    src = EventSource("e", path=str(write_parquet(tmp_path, events)), entity="user", timestamp="ts")
    repo = FeatureRepo(tmp_path / "repo")
    repo.apply([Feature("s", source=src, column="amount", agg="sum")])
    spine = pd.DataFrame({"user": ["a", "b", "c"], "ts": pd.to_datetime([1, 1, 1], unit="ms")})
    assert repo.materialize(spine, ["s"])["s"].tolist() == [1.0, 2.0, 0.0]


def test_materialize_keeps_spine_index_order_and_duplicates(tmp_path, events):
    src = EventSource(
        "e", path=str(write_parquet(tmp_path, events)), entity="user_id", timestamp="ts"
    )
    repo = FeatureRepo(tmp_path / "repo")
    repo.apply([Feature("s", source=src, column="amount", agg="sum")])
    spine = pd.DataFrame(
        {"user_id": [2, 1, 2], "ts": [31 * HOUR_MS, 2 * HOUR_MS, 31 * HOUR_MS], "label": [1, 0, 1]},
        index=[10, 5, 7],
    )
    out = repo.materialize(spine, ["s"])
    assert list(out.index) == [10, 5, 7]
    assert list(out.columns) == ["user_id", "ts", "label", "s"]
    assert out["s"].tolist() == [12.0, 30.0, 12.0]
    assert "s" not in spine.columns


def test_large_sums_stay_within_1e_9_relative(tmp_path):
    rng = np.random.default_rng(3)
    n = 200_000
    events = pd.DataFrame(
        {
            "user_id": rng.integers(0, 50, n),
            "ts": rng.integers(0, 10**9, n),
            "amount": rng.lognormal(8, 2, n),
        }
    )
    src = EventSource(
        "e", path=str(write_parquet(tmp_path, events)), entity="user_id", timestamp="ts"
    )
    repo = FeatureRepo(tmp_path / "repo")
    repo.apply([Feature("s", source=src, column="amount", agg="sum", window="1h")])
    spine = pd.DataFrame({"user_id": rng.integers(0, 50, 300), "ts": rng.integers(0, 10**9, 300)})
    got = repo.materialize(spine, ["s"], cache=False)["s"].to_numpy()
    import math

    want = []
    for u, t in zip(spine["user_id"], spine["ts"], strict=True):
        sel = (events["user_id"] == u) & (events["ts"] < t) & (events["ts"] >= t - 3_600_000)
        want.append(math.fsum(events.loc[sel, "amount"]))
    np.testing.assert_allclose(got, want, rtol=1e-12)


@pytest.mark.parametrize("rows, group", [(1000, 1000), (1000, 97), (1_000_003, 250_000)])
def test_the_parquet_reader_returns_every_column_as_written(tmp_path, rows, group):
    """One row group or many (read in threads from 1M rows), memory-mapped while decoded:
    the columns equal pandas' own read, nulls in one group included, and no returned array
    is a view of the mapped file (it stays valid after the file is rewritten in place)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    from jupyter_bighead.features import EventSource
    from jupyter_bighead.features.sources import _read_parquet_file

    rng = np.random.default_rng(rows + group)
    ints = rng.integers(-(2**40), 2**40, size=rows)
    halves = rng.random(rows).astype(np.float32)
    nullable = pa.array(rng.random(rows), mask=np.arange(rows) % group == 3)  # group 0 nulls
    table = pa.table({"entity": ints, "ts": pa.array(rng.integers(0, 10**12, size=rows)),
                      "f32": halves, "i32": pa.array(ints % 1000, pa.int32()),
                      "nullable": nullable})
    path = tmp_path / "events.parquet"
    pq.write_table(table, path, row_group_size=group)
    source = EventSource("events", path=str(path), entity="entity", timestamp="ts")
    got = _read_parquet_file(source, ["entity", "ts", "f32", "i32", "nullable"])
    want = pd.read_parquet(path)
    for name, series in got.items():
        pd.testing.assert_series_equal(series.reset_index(drop=True), want[name],
                                       check_names=False, check_dtype=False)
        assert str(series.dtype).lower().startswith(str(want[name].dtype).lower()[:3])
    before = {n: s.to_numpy().copy() for n, s in got.items()}
    pq.write_table(table.slice(0, 10), path)  # truncated in place: a view would break
    for name, series in got.items():
        np.testing.assert_array_equal(series.to_numpy(), before[name])
