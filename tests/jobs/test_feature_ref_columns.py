"""The feature round trip: train on ``materialize(spine, refs)`` columns, register with
``features=refs``, batch-score input that holds only the keys. The fetched features
must land in the columns the model was trained on, whichever reference form named
them (``name`` and ``name:N`` give the column ``name``; the old ``name@N`` kept its
own column name, which stored models were trained on)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from jupyter_bighead.config import BigheadHome
from jupyter_bighead.demo import create_demo_workspace
from jupyter_bighead.features import FeatureRepo
from jupyter_bighead.jobs.scoring import score
from jupyter_bighead.registry import Registry

NAMES = ["bookings_30d_count", "views_7d_count"]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    ws = create_demo_workspace(tmp_path_factory.mktemp("refcols") / "ws")
    home = BigheadHome(ws.home).ensure()
    labels = pd.read_parquet(ws.root / "data" / "labels.parquet").head(400)
    return home, labels


@pytest.mark.parametrize("form,column", [("{}", "{}"), ("{}:1", "{}"), ("{}@1", "{}@1")])
def test_scoring_fetches_features_into_the_columns_the_model_was_trained_on(
        world, tmp_path, monkeypatch, form, column):
    import lightgbm as lgb

    home, labels = world
    monkeypatch.setenv("BIGHEAD_HOME", str(home.root))
    refs = [form.format(n) for n in NAMES]
    cols = [column.format(n) for n in NAMES]  # name:N -> name (LightGBM refuses ':')
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # the old form, on purpose
        training = FeatureRepo(home.features).materialize(labels, refs, entity="user_id",
                                                          timestamp="ts")
        assert list(training.columns[-len(cols):]) == cols
        model = lgb.LGBMClassifier(n_estimators=10, verbose=-1).fit(training[cols],
                                                                    training.label)
        reg = Registry(tmp_path / "reg")
        name = f"m{len(form)}"
        features = [f"{n}:1" for n in NAMES] if form == "{}" else refs
        reg.register(name, model, X_valid=training[cols], y_valid=training.label,
                     features=features)
    labels[["user_id", "ts"]].to_parquet(tmp_path / "keys.parquet")
    result = score(f"{name}:1", tmp_path / "keys.parquet", tmp_path / "out.parquet",
                   registry=reg, entity="user_id", timestamp="ts")
    assert result.features_fetched == tuple(f"{n}@1" for n in NAMES)
    out = pd.read_parquet(tmp_path / "out.parquet")
    np.testing.assert_allclose(out.prediction.to_numpy(),
                               model.predict_proba(training[cols])[:, 1], rtol=1e-12)
