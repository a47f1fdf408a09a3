"""The registry store contract's registries and models (shared by its modules)."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ..registry import Registry


def open_registry(uri: str, artifacts: Path, options: Mapping[str, Any]) -> Registry:
    """A registry over the store at ``uri`` with its files under ``artifacts``."""
    return Registry(uri, artifacts=artifacts, store_options=dict(options))


@functools.cache
def _models() -> dict[str, Any]:
    """Validation data and three small fitted LightGBM models, trained once per process."""
    import lightgbm as lgb
    import pandas as pd

    rng = np.random.default_rng(7)
    X = pd.DataFrame(rng.normal(size=(600, 4)), columns=["a", "b", "c", "d"])
    y = (X["a"] + 0.5 * X["b"] + rng.normal(size=600) > 0).astype("int64")
    return {
        "data": (X, y),
        "classifier": lgb.LGBMClassifier(n_estimators=15, num_leaves=7, verbose=-1).fit(X, y),
        "regressor": lgb.LGBMRegressor(n_estimators=15, num_leaves=7, verbose=-1).fit(
            X, X["a"] * 2 + X["c"]),
        "booster": lgb.train({"objective": "binary", "num_leaves": 7, "verbose": -1},
                             lgb.Dataset(X, y), num_boost_round=15),
    }
