"""Server predictions == ``reg.load(...).predict_proba`` == batch scoring, bit for bit.

On the demo model (the demo workspace's features, an LGBMClassifier registered with
its validation rows), and for the numpy fast path against the pandas path.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from jupyter_bighead.config import BigheadHome
from jupyter_bighead.demo import create_demo_workspace
from jupyter_bighead.features import FeatureRepo
from jupyter_bighead.jobs.scoring import score
from jupyter_bighead.registry import Registry
from jupyter_bighead.serving.runtime.model import ServedModel

from .conftest import instances, start_server, training_frame

NAMES = ["bookings_30d_count", "bookings_90d_sum", "views_7d_count"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    import lightgbm as lgb

    ws = create_demo_workspace(tmp_path_factory.mktemp("consistency") / "ws")
    home = BigheadHome(ws.home).ensure()
    repo = FeatureRepo(home.features)
    labels = pd.read_parquet(ws.root / "data" / "labels.parquet")
    frame = repo.materialize(labels, NAMES, entity="user_id", timestamp="ts")
    split = int(len(frame) * 0.8)
    train, valid = frame.iloc[:split], frame.iloc[split:].reset_index(drop=True)
    model = lgb.LGBMClassifier(n_estimators=50, verbose=-1).fit(train[NAMES], train.label)
    reg = Registry(home.registry_uri, artifacts=home.artifacts)
    mv = reg.register("demo_model", model, X_valid=valid[NAMES], y_valid=valid.label)
    reg.set_alias("demo_model", "production", mv.version)
    return reg, valid


def test_server_matches_load_and_batch_scoring_on_the_demo_validation_rows(demo, tmp_path):
    reg, valid = demo
    X = valid[["bookings_30d_count", "bookings_90d_sum", "views_7d_count"]]
    loaded = reg.load("demo_model", alias="production").predict_proba(X)[:, 1]
    X.to_parquet(tmp_path / "in.parquet")
    score("demo_model@production", tmp_path / "in.parquet", tmp_path / "out.parquet",
          registry=reg, fetch_features=False)
    batch = pd.read_parquet(tmp_path / "out.parquet").prediction.to_numpy()
    srv = start_server(reg, ref="demo_model@production")
    try:
        rows = instances(X)
        _s, many = srv.call("POST", "/v1/models/demo_model:predict", {"instances": rows})
        one_by_one = [srv.call("POST", "/v1/models/demo_model:predict",
                               {"instances": [r]})[1]["predictions"][0] for r in rows[:200]]
    finally:
        srv.close()
    served = np.asarray(many["predictions"])
    assert len(served) == len(valid) > 100
    np.testing.assert_array_equal(served, loaded)
    np.testing.assert_array_equal(served, batch)
    np.testing.assert_array_equal(np.asarray(one_by_one), loaded[:200])


@pytest.mark.parametrize("dtype", ["float64", "float32", "int64", "int32", "bool"])
def test_numpy_fast_path_equals_the_pandas_path(tmp_path, dtype):
    import lightgbm as lgb

    X, y = training_frame(rows=1500, seed=3)
    X = X.fillna(0.0)
    X["f1"] = (X["f1"] * 10).astype(dtype) if dtype != "bool" else X["f1"] > 0
    reg = Registry(tmp_path / "reg")
    reg.register("m", lgb.LGBMClassifier(n_estimators=30, verbose=-1).fit(X, y),
                 X_valid=X[:200], y_valid=y[:200])
    served = ServedModel.load(reg, "m")
    assert served._fast is not None
    rows = served.schema.rows_from_instances(instances(X))
    fast = np.asarray(served.predict_rows(rows))
    slow = served.predict_frame(served.frame(rows))
    expected = reg.load("m").predict_proba(X)[:, 1]
    np.testing.assert_array_equal(fast, slow)
    np.testing.assert_array_equal(fast, expected)
