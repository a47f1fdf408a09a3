"""The flavor contract (jupyter_bighead.testing.FlavorContract) over the built-in flavors:
LightGBM boosters and scikit-learn models, and pipelines (installed by entry point)."""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pytest

from jupyter_bighead.testing.flavor import FlavorContract


@functools.cache
def _data():
    rng = np.random.default_rng(2)
    X = pd.DataFrame({"a": rng.normal(size=300), "b": rng.normal(size=300)})
    y = (X["a"] - X["b"] > 0).astype("int64")
    return X, y


class TestLightGBMSklearn(FlavorContract):
    @pytest.fixture
    def flavor_model(self):
        import lightgbm as lgb

        X, y = _data()
        return lgb.LGBMClassifier(n_estimators=8, num_leaves=5, verbose=-1).fit(X, y)


class TestLightGBMBooster(FlavorContract):
    @pytest.fixture
    def flavor_model(self):
        import lightgbm as lgb

        X, y = _data()
        return lgb.train({"objective": "regression", "num_leaves": 5, "verbose": -1},
                         lgb.Dataset(X, y.astype(float)), num_boost_round=8)

    @pytest.fixture
    def flavor_input(self):
        return _data()[0].iloc[:40]


class TestPipeline(FlavorContract):
    @pytest.fixture
    def flavor_model(self):
        import lightgbm as lgb

        from jupyter_bighead.pipeline import Pipeline, Standardize

        X, y = _data()
        learner = lgb.LGBMRegressor(n_estimators=8, num_leaves=5, verbose=-1)
        return Pipeline([Standardize(columns=["a"])], learner).fit(X, y.astype(float))

    @pytest.fixture
    def flavor_input(self):
        return _data()[0].iloc[:40]
