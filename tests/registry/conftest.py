"""Fixtures of the registry tests: both stores, and small fitted LightGBM models."""

from __future__ import annotations

import pytest

from .pg import fresh_database, postgres_server

STORES = ["sqlite", "postgresql"]


@pytest.fixture(scope="session")
def pg_server():
    try:
        with postgres_server() as uri:
            yield uri
    except RuntimeError as exc:
        pytest.fail(str(exc))


@pytest.fixture
def pg_uri(pg_server):
    return fresh_database(pg_server)


@pytest.fixture(params=STORES)
def store_kind(request):
    return request.param


@pytest.fixture
def registry_args(store_kind, tmp_path, request):
    """``(location, artifacts)`` for a fresh empty registry of each store kind."""
    if store_kind == "sqlite":
        return str(tmp_path / "reg"), None
    return request.getfixturevalue("pg_uri"), str(tmp_path / "artifacts")


@pytest.fixture
def reg(registry_args):
    from jupyter_bighead.registry import Registry

    registry = Registry(*registry_args)
    yield registry
    registry.close()


@pytest.fixture(scope="session")
def data():
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(7)
    X = pd.DataFrame(rng.normal(size=(600, 4)), columns=["a", "b", "c", "d"])
    y = (X["a"] + 0.5 * X["b"] + rng.normal(size=600) > 0).astype("int64")
    return X, y


@pytest.fixture(scope="session")
def classifier(data):
    import lightgbm as lgb

    X, y = data
    return lgb.LGBMClassifier(n_estimators=15, num_leaves=7, verbose=-1).fit(X, y)


@pytest.fixture(scope="session")
def regressor(data):
    import lightgbm as lgb

    X, _ = data
    return lgb.LGBMRegressor(n_estimators=15, num_leaves=7, verbose=-1).fit(X, X["a"] * 2 + X["c"])


@pytest.fixture(scope="session")
def booster(data):
    import lightgbm as lgb

    X, y = data
    return lgb.train({"objective": "binary", "num_leaves": 7, "verbose": -1},
                     lgb.Dataset(X, y), num_boost_round=15)
