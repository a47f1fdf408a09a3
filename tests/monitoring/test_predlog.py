"""The prediction log: partitioned parquet written in the background, never failing or
blocking the caller, read back by time window."""

from __future__ import annotations

import threading
import time

import numpy as np
import pandas as pd
import pytest

from jupyter_bighead import predlog
from jupyter_bighead.errors import InvalidSpec


def test_rows_land_in_date_partitions_and_read_back_by_window(tmp_path):
    stamps = pd.date_range("2024-03-01 22:00", periods=6, freq="1h", tz="UTC")
    with predlog.PredictionLog(tmp_path, "churn", 3, columns=["a", "b"]) as log:
        assert log.log([[float(i), f"v{i}"] for i in range(6)], np.arange(6) / 10,
                       request_ids=[f"r{i}" for i in range(6)], entity=list(range(100, 106)),
                       timestamps=stamps)
    days = sorted(p.name for p in (tmp_path / "churn" / "3").iterdir())
    assert days == ["date=2024-03-01", "date=2024-03-02"]
    assert all(p.name.startswith("part-") for p in (tmp_path / "churn" / "3").rglob("*.*"))
    got = predlog.read_predictions(tmp_path, "churn", 3)
    assert list(got["a"]) == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    assert list(got[predlog.SCORE]) == list(np.arange(6) / 10)
    assert list(got[predlog.REQUEST_ID]) == [f"r{i}" for i in range(6)]
    assert list(got[predlog.ENTITY]) == list(range(100, 106))
    assert list(got[predlog.TS]) == list(stamps)
    assert predlog.feature_columns(got) == ["a", "b"]
    window = predlog.read_predictions(tmp_path, "churn", 3, start="2024-03-01 23:00",
                                      end=pd.Timestamp("2024-03-02 01:00", tz="UTC"))
    assert list(window["b"]) == ["v1", "v2"]
    assert len(predlog.read_predictions(tmp_path, "churn", 4)) == 0
    assert len(predlog.read_predictions(tmp_path, "churn")) == 6


def test_frames_and_dicts_are_logged_with_default_ids_and_times(tmp_path):
    before = pd.Timestamp.now(tz="UTC")
    with predlog.PredictionLog(tmp_path, "m", 1) as log:
        log.log(pd.DataFrame({"x": [1.5, 2.5]}, index=[7, 9]), [0.1, 0.2])
        log.log([{"x": 3.5}], [0.3], request_ids="req-1")
    got = predlog.read_predictions(tmp_path, "m", 1)
    assert list(got["x"]) == [1.5, 2.5, 3.5]
    ids = list(got[predlog.REQUEST_ID])
    assert ids[0].endswith("-0") and ids[1].endswith("-1") and ids[0][:-2] == ids[1][:-2]
    assert ids[2] == "req-1"
    with predlog.PredictionLog(tmp_path, "m", 2, columns=["x"]) as log:
        log.log([[1.0], [2.0]], [0.1, 0.2])
        log.log([[3.0]], [0.3])
    other = list(predlog.read_predictions(tmp_path, "m", 2)[predlog.REQUEST_ID])
    assert len(set(other + ids)) == 6  # unique across calls and logs
    assert (got[predlog.TS] >= before.floor("us")).all()


def test_concurrent_loggers_lose_no_row_and_split_nothing(tmp_path):
    log = predlog.PredictionLog(tmp_path, "m", 1, columns=["t", "i"],
                                max_rows_per_second=None, max_queue=100_000, flush_rows=500)

    def work(t: int) -> None:
        for i in range(300):
            log.log([[t, i], [t, i]], [t + i / 1000] * 2, request_ids=[f"{t}-{i}-a", f"{t}-{i}-b"])

    threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    log.close()
    stats = log.stats()
    assert stats["logged"] == stats["written"] == 8 * 300 * 2 and stats["dropped_full"] == 0
    got = predlog.read_predictions(tmp_path, "m", 1)
    assert len(got) == 4800 and got[predlog.REQUEST_ID].is_unique
    # each call's rows stay together and keep their own scores
    assert (got[predlog.SCORE] == got["t"] + got["i"] / 1000).all()
    pairs = got.groupby(["t", "i"]).size()
    assert (pairs == 2).all() and len(pairs) == 2400


def test_a_full_queue_drops_and_counts_without_blocking(tmp_path):
    log = predlog.PredictionLog(tmp_path, "m", 1, max_queue=2, flush_rows=1,
                                max_rows_per_second=None)
    big = pd.DataFrame({"x": np.arange(300_000, dtype=float)})
    log.log(big, np.zeros(len(big)))  # the writer is busy with this for a while
    started = time.perf_counter()
    accepted = sum(log.log([{"x": 1.0}], [0.5]) for _ in range(200))
    took = time.perf_counter() - started
    log.close()
    stats = log.stats()
    assert stats["dropped_full"] == 200 - accepted > 0
    assert stats["written"] == stats["logged"] == len(big) + accepted
    assert took < 1.0


def test_rate_cap_and_sampling_drop_and_count(tmp_path):
    log = predlog.PredictionLog(tmp_path, "m", 1, columns=["x"], max_rows_per_second=100)
    assert log.log([[1]] * 60, [0.0] * 60)
    assert not log.log([[1]] * 60, [0.0] * 60)  # 40 tokens left
    assert log.log([[1]] * 30, [0.0] * 30)
    log.close()
    assert log.stats()["rate_limited"] == 60 and log.stats()["written"] == 90
    none = predlog.PredictionLog(tmp_path, "m", 2, columns=["x"], sample_rate=0.0)
    assert not none.log([[1]], [0.0])
    none.close()
    assert none.stats()["sampled_out"] == 1 and none.stats()["written"] == 0
    half = predlog.PredictionLog(tmp_path, "m", 3, columns=["x"], sample_rate=0.5,
                                 max_queue=5000, max_rows_per_second=None)
    kept = sum(half.log([[1]], [0.0]) for _ in range(2000))
    half.close()
    assert 850 < kept < 1150 and half.stats()["sampled_out"] == 2000 - kept


def test_an_unwritable_folder_is_reported_never_raised(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    log = predlog.PredictionLog(blocker, "m", 1, columns=["x"])
    assert log.log([[1.0]], [0.5])
    log.close()
    stats = log.stats()
    assert stats["write_errors"] == 1 and stats["written"] == 0
    assert stats["last_error"] and "Error" in stats["last_error"]
    assert not log.log([[1.0]], [0.5])  # closed


def test_bad_settings_are_refused(tmp_path):
    with pytest.raises(InvalidSpec):
        predlog.PredictionLog(tmp_path, "../x", 1)
    with pytest.raises(InvalidSpec):
        predlog.PredictionLog(tmp_path, "m", 1, sample_rate=1.5)
    with pytest.raises(InvalidSpec):
        predlog.PredictionLog(tmp_path, "m", 1, columns=["_score"])


def test_a_batch_that_does_not_fit_is_counted_as_a_write_error(tmp_path):
    with predlog.PredictionLog(tmp_path, "m", 1, columns=["x"]) as log:
        log.log([[1.0], [2.0]], [0.5])  # one score for two rows
        log.log([[3.0]], [0.7])
        log.flush()
    assert log.stats()["write_errors"] == 1 and log.stats()["written"] == 1
    assert list(predlog.read_predictions(tmp_path, "m", 1)["x"]) == [3.0]


def test_counters_are_exposed_as_prometheus_lines(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    log = predlog.PredictionLog(blocker, "m", 2, columns=["x"], max_rows_per_second=1)
    log.log([[1.0]], [0.5])
    log.log([[1.0]], [0.5])  # over the cap
    log.close()
    lines = log.prometheus()
    assert 'bighead_prediction_log_rows_total{model="m",version="2",outcome="logged"} 1' in lines
    assert ('bighead_prediction_log_rows_total{model="m",version="2",outcome="rate_limited"} 1'
            in lines)
    assert 'bighead_prediction_log_write_errors_total{model="m",version="2"} 1' in lines


def test_waiting_rows_are_written_after_flush_seconds_without_a_flush(tmp_path):
    log = predlog.PredictionLog(tmp_path, "m", 1, columns=["x"], flush_seconds=0.2)
    log.log([[1.0]], [0.5])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and log.stats()["written"] == 0:
        time.sleep(0.05)
    assert log.stats()["written"] == 1  # no flush() or close() asked for it
    assert list(predlog.read_predictions(tmp_path, "m", 1)["x"]) == [1.0]
    log.close()


def test_rows_waiting_at_a_normal_exit_are_written(tmp_path):
    import subprocess
    import sys

    code = ("from jupyter_bighead import predlog\n"
            f"log = predlog.PredictionLog({str(tmp_path)!r}, 'm', 1, columns=['x'],"
            " flush_seconds=3600)\n"
            "log.log([[1.0], [2.0]], [0.1, 0.2])\n")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
    assert list(predlog.read_predictions(tmp_path, "m", 1)["x"]) == [1.0, 2.0]


def test_a_row_of_the_wrong_width_or_mixed_types_loses_only_its_own_rows(tmp_path):
    with predlog.PredictionLog(tmp_path, "m", 1, columns=["x", "y"]) as log:
        log.log([[1.0, 2.0]], [0.1])
        log.log([[1.0]], [0.2])  # one column short: this request only
        log.log([[3.0, 4.0], [5.0, 6.0]], [0.3, 0.4], entity=[7, 8])
        log.flush()
    got = predlog.read_predictions(tmp_path, "m", 1)
    assert list(got["x"]) == [1.0, 3.0, 5.0] and list(got[predlog.ENTITY]) == [None, 7, 8]
    assert log.stats()["write_errors"] == 1 and log.stats()["written"] == 3


def test_matrices_are_logged_like_row_lists_beside_them(tmp_path):
    """A server on the numeric fast path logs the float matrix the model was given."""
    with predlog.PredictionLog(tmp_path, "m", 1, columns=["x", "y"]) as log:
        log.log(np.array([[1.0, np.nan], [3.0, 4.0]]), np.array([0.1, 0.2]),
                request_ids=["a", "b"])
        log.log([[5.0, 6.0]], [0.3])
        log.log(np.array([[7.0, 8.0, 9.0]]), [0.4])  # three columns: this request only
        log.log(np.array([[9.0, 10.0]]), np.array([[0.5]]), entity=[7])
        log.flush()
    got = predlog.read_predictions(tmp_path, "m", 1).sort_values(predlog.SCORE)
    assert got["x"].tolist() == [1.0, 3.0, 5.0, 9.0]
    assert got["y"].isna().tolist() == [True, False, False, False]  # NaN logged as null
    assert got[predlog.SCORE].tolist() == [0.1, 0.2, 0.3, 0.5]
    assert got[predlog.REQUEST_ID].tolist()[:2] == ["a", "b"]
    assert got[predlog.ENTITY].tolist() == [None, None, None, 7]
    assert log.stats()["write_errors"] == 1 and log.stats()["written"] == 4
