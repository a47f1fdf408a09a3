"""The block contract (jupyter_bighead.testing.BlockContract) over the built-in blocks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from jupyter_bighead.pipeline import (
    CategoryEncode,
    Clip,
    DateParts,
    Impute,
    Log1p,
    MinMaxScale,
    Standardize,
)
from jupyter_bighead.testing.block import BlockContract

NUMERIC = {
    "impute": lambda: Impute(columns=["a", "b"], strategy="median", add_indicator=True),
    "standardize": lambda: Standardize(columns=["a", "b", "c"]),
    "minmax": lambda: MinMaxScale(columns=["b"], feature_range=(-1.0, 1.0)),
    "clip": lambda: Clip(columns=["a", "c"], lower=0.05, upper=0.95),
    "log1p": lambda: Log1p(columns=["c"]),
}


class TestNumericBlocks(BlockContract):
    @pytest.fixture(params=sorted(NUMERIC))
    def block(self, request):
        return NUMERIC[request.param]()

    @pytest.fixture
    def block_frame(self):
        rng = np.random.default_rng(5)
        frame = pd.DataFrame({"a": rng.normal(size=300), "b": rng.normal(size=300) * 10,
                              "c": rng.uniform(size=300)})
        frame.loc[frame.index[::9], "a"] = np.nan
        return frame


class TestCategoryEncode(BlockContract):
    @pytest.fixture
    def block(self):
        return CategoryEncode(columns=["city"], min_count=2)

    @pytest.fixture
    def block_frame(self):
        rng = np.random.default_rng(6)
        return pd.DataFrame({"city": rng.choice(["ams", "ber", "par", "rome"], size=200),
                             "x": rng.normal(size=200)})


class TestDateParts(BlockContract):
    @pytest.fixture
    def block(self):
        return DateParts(columns=["when"], parts=("year", "month", "dayofweek"))

    @pytest.fixture
    def block_frame(self):
        return pd.DataFrame({"when": pd.date_range("2024-01-01", periods=100, freq="37h"),
                             "x": np.arange(100.0)})
