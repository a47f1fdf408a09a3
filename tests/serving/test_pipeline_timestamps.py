"""A served pipeline's timestamps: real instants only, refusals in one plain line that
name the request's column (never pandas' advice to programmers, never an internal name)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from jupyter_bighead.errors import BlockInputError
from jupyter_bighead.features import EventSource, Feature, FeatureRepo
from jupyter_bighead.pipeline import FeatureLookup, Pipeline
from jupyter_bighead.registry import Registry

from .conftest import start_server

HOUR = pd.Timedelta(hours=1)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    import lightgbm as lgb

    root = tmp_path_factory.mktemp("pipets")
    rng = np.random.default_rng(3)
    t0 = pd.Timestamp("2024-01-01")
    events = pd.DataFrame({"user_id": rng.integers(0, 20, 600),
                           "ts": t0 + HOUR * rng.integers(0, 24 * 30, 600),
                           "amount": rng.random(600)})
    events.to_parquet(root / "events.parquet", index=False)
    src = EventSource("ev", path=str(root / "events.parquet"), entity="user_id", timestamp="ts")
    repo = FeatureRepo(root / "features")
    repo.apply([Feature("n_7d", source=src, agg="count", window="7d"),
                Feature("s_7d", source=src, column="amount", agg="sum", window="7d")])
    X = pd.DataFrame({"user_id": rng.integers(0, 20, 300),
                      "ts": t0 + HOUR * rng.integers(24 * 7, 24 * 30, 300)})
    y = (X.user_id % 2).to_numpy()
    pipe = Pipeline([FeatureLookup(["n_7d", "s_7d"], entity="user_id", timestamp="ts",
                                   repo=str(root / "features"))],
                    learner=lgb.LGBMClassifier(n_estimators=5, min_child_samples=5,
                                               verbose=-1))
    pipe.fit(X, y)
    reg = Registry(root / "registry")
    reg.register("piped", pipe, X_valid=X[:50], y_valid=y[:50])
    srv = start_server(reg, ref="piped")
    srv.pipe = pipe
    yield srv
    srv.close()


def _predict(srv, rows):
    return srv.call("POST", "/v1/models/piped:predict", {"instances": rows})


def test_timestamps_given_in_every_row_or_in_none_are_served(served):
    status, body = _predict(served, [{"user_id": 1, "ts": "2024-01-20T00:00:00"},
                                     {"user_id": 2, "ts": "2024-01-21"}])
    assert status == 200 and len(body["predictions"]) == 2, body
    status, body = _predict(served, [{"user_id": 1}, {"user_id": 2}])
    assert status == 200 and len(body["predictions"]) == 2, body


def test_a_batch_where_only_some_rows_carry_the_timestamp_names_the_request_column(served):
    status, body = _predict(served, [{"user_id": 1, "ts": "2024-01-20T00:00:00"},
                                     {"user_id": 2}])
    assert status == 400, body
    assert "__ts" not in body["error"] and "'ts'" in body["error"]
    assert "row 1" in body["error"] and body["field"] == "ts"


@pytest.mark.parametrize("word", ["now", "today", " Today ", "NOW"])
def test_now_and_today_are_not_timestamps(served, word):
    status, body = _predict(served, [{"user_id": 1, "ts": word}])
    assert status == 400, body
    assert body["code"] == "wrong_type" and body["field"] == "ts"
    assert "leave the column out" in body["error"]


def test_a_bad_timestamp_is_refused_in_one_line_without_pandas_advice(served):
    status, body = _predict(served, [{"user_id": 1, "ts": "2024-01-20"},
                                     {"user_id": 2, "ts": "01/02/2024"}])
    assert status == 400, body
    assert body["field"] == "ts" and "01/02/2024" in body["error"]
    assert "\n" not in body["error"] and "You might want" not in body["error"]
    assert "format=" not in body["error"]


@pytest.mark.parametrize("ts", [["now"], ["2024-01-20", "today"],
                                np.array(["2024-01-20", " NOW"])])
def test_the_python_api_refuses_now_and_today_too(served, ts):
    # The same pipeline in a kernel or batch scoring: numpy's and pandas' parsers would
    # read these as the wall clock.
    with pytest.raises(BlockInputError) as info:
        served.pipe.predict_proba({"user_id": [1] * len(ts), "ts": ts})
    assert info.value.column == "ts" and "names no instant" in str(info.value)


def test_the_python_api_says_what_is_wrong_with_a_date_in_one_line(served):
    with pytest.raises(BlockInputError) as info:
        served.pipe.predict_proba({"user_id": [1, 2], "ts": ["2024-01-20", "01/02/2024"]})
    assert info.value.column == "ts" and "01/02/2024" in str(info.value)
    assert "\n" not in str(info.value) and "You might want" not in str(info.value)
