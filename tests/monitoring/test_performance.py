"""Realized performance: late labels joined point in time to logged predictions, metrics
per window equal to sklearn.metrics on the joined rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm
from sklearn.calibration import calibration_curve

from jupyter_bighead import predlog
from jupyter_bighead.errors import InvalidSpec
from jupyter_bighead.monitoring import performance, simulate


@pytest.fixture(scope="module")
def logged(tmp_path_factory):
    root = tmp_path_factory.mktemp("predictions")
    traffic = simulate.shifted_traffic(3000, shifted=(), span="3D", n_entities=300, seed=4)
    rng = np.random.default_rng(5)
    scores = np.clip(simulate.true_probability(traffic) + rng.normal(0, 0.1, len(traffic)),
                     0.001, 0.999)
    with predlog.PredictionLog(root, "m", 1, max_rows_per_second=None) as log:
        for lo in range(0, len(traffic), 100):  # requests of 100 rows
            part = traffic.iloc[lo:lo + 100]
            log.log(part[list(simulate.FEATURES)], scores[lo:lo + 100],
                    entity=part["entity"], timestamps=part["ts"])
    labels = simulate.late_labels(traffic, late_share=0.3, seed=6)
    # a third of the questions are asked 30 minutes after the prediction: the join
    # must still find the latest prediction at or before them
    later = np.arange(len(labels)) % 3 == 0
    labels.loc[later, "ts"] = labels.loc[later, "ts"] + pd.Timedelta("30min")
    return predlog.read_predictions(root, "m", 1), labels, traffic


def independent_join(predictions, labels, as_of, tolerance):
    arrived = labels[labels["arrived_at"] <= as_of].copy()
    arrived["ts"] = pd.to_datetime(arrived["ts"], utc=True).dt.as_unit("ns")
    right = predictions[[predlog.ENTITY, predlog.TS, predlog.SCORE, predlog.REQUEST_ID]].copy()
    right[predlog.TS] = right[predlog.TS].dt.as_unit("ns")
    right[predlog.ENTITY] = right[predlog.ENTITY].astype("int64")
    out = pd.merge_asof(arrived.sort_values("ts"), right.sort_values(predlog.TS),
                        left_on="ts", right_on=predlog.TS, left_by="entity",
                        right_by=predlog.ENTITY, direction="backward",
                        tolerance=pd.Timedelta(tolerance), allow_exact_matches=True)
    return out[out[predlog.SCORE].notna()]


def test_late_labels_join_point_in_time_like_an_as_of_merge(logged):
    predictions, labels, traffic = logged
    as_of = traffic["ts"].max() + pd.Timedelta("2h")
    joined = performance.join_labels(predictions, labels, arrived_at="arrived_at",
                                     as_of=as_of, tolerance="1D")
    expected = independent_join(predictions, labels, as_of, "1D")
    assert 1000 < len(joined) == len(expected) < len(labels)  # late ones not yet there
    got = joined.sort_values(["ts", "entity"]).reset_index(drop=True)
    want = expected.sort_values(["ts", "entity"]).reset_index(drop=True)
    assert list(got["request_id"]) == list(want[predlog.REQUEST_ID])
    assert np.array_equal(got["score"].to_numpy(), want[predlog.SCORE].to_numpy())
    assert (got["prediction_ts"] <= got["ts"]).all()
    everything = performance.join_labels(predictions, labels, tolerance="1D")
    assert len(everything) == len(labels)  # every label has its request's prediction


def test_metrics_per_window_equal_sklearn_on_the_joined_rows(logged):
    predictions, labels, traffic = logged
    as_of = traffic["ts"].max() + pd.Timedelta("4D")
    joined = performance.join_labels(predictions, labels, arrived_at="arrived_at",
                                     as_of=as_of, tolerance="1D")
    windows = performance.realized_metrics(joined, "binary", freq="1D")
    assert len(windows) >= 3
    for w in windows:
        start, end = pd.Timestamp(w["start"]), pd.Timestamp(w["end"])
        rows = joined[(joined["ts"] >= start) & (joined["ts"] < end)]
        y, p = rows["label"].to_numpy(), rows["score"].to_numpy()
        assert w["n"] == len(rows) > 0
        assert w["roc_auc"] == pytest.approx(skm.roc_auc_score(y, p), rel=1e-12)
        assert w["pr_auc"] == pytest.approx(skm.average_precision_score(y, p), rel=1e-12)
        assert w["log_loss"] == pytest.approx(skm.log_loss(y, p), rel=1e-12)
        assert w["brier"] == pytest.approx(skm.brier_score_loss(y, p), rel=1e-12)
        frac, mean = calibration_curve(y, p, n_bins=10, strategy="uniform")
        assert w["calibration"]["fraction_positive"] == pytest.approx(list(frac), rel=1e-12)
        assert w["calibration"]["mean_predicted"] == pytest.approx(list(mean), rel=1e-12)


def test_regression_windows_equal_sklearn_and_one_class_windows_have_no_auc():
    rng = np.random.default_rng(0)
    y, p = rng.normal(size=500), rng.normal(size=500)
    got = performance.window_metrics(y, p, "regression")
    assert got["rmse"] == pytest.approx(np.sqrt(skm.mean_squared_error(y, p)), rel=1e-12)
    assert got["mae"] == pytest.approx(skm.mean_absolute_error(y, p), rel=1e-12)
    one = performance.window_metrics(np.ones(20), np.full(20, 0.8), "binary")
    assert one["roc_auc"] is None and one["pr_auc"] is None
    assert one["log_loss"] == pytest.approx(skm.log_loss(np.ones(20), np.full(20, 0.8),
                                                         labels=[0, 1]), rel=1e-12)
    with pytest.raises(InvalidSpec):
        performance.window_metrics([0, 2], [0.1, 0.2], "binary")


def test_missing_label_columns_and_empty_logs(logged):
    predictions, labels, _traffic = logged
    with pytest.raises(InvalidSpec, match="user_id"):
        performance.join_labels(predictions, labels, entity="user_id")
    empty = performance.join_labels(predictions.iloc[:0], labels)
    assert len(empty) == 0 and "score" in empty.columns
    assert performance.realized_metrics(empty, "binary") == []


def test_requests_without_an_entity_do_not_break_the_join(tmp_path):
    stamps = pd.date_range("2024-05-01", periods=4, freq="1h", tz="UTC")
    with predlog.PredictionLog(tmp_path, "m", 1, columns=["x"]) as log:
        log.log([[1.0], [2.0]], [0.2, 0.9], entity=[11, 12])
        log.log([[3.0]], [0.5])  # no entity: never joined
        log.log(pd.DataFrame({"x": [4.0, 5.0]}), [0.3, 0.8], entity=[11, 12],
                timestamps=stamps[:2])
    logged = predlog.read_predictions(tmp_path, "m", 1)
    labels = pd.DataFrame({"entity": [11, 12], "ts": stamps[2:], "label": [0, 1]})
    joined = performance.join_labels(logged, labels, tolerance="1D")
    assert list(joined["score"]) == [0.3, 0.8]  # the latest before each label
