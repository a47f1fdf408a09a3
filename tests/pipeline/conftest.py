"""Fixtures of the pipeline tests: a small mixed-type frame and a fitted pipeline."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest


def make_frame(n: int = 600, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({
        "age": rng.normal(40, 12, n),
        "spend": rng.exponential(50, n),
        "country": rng.choice(["de", "fr", "us", "jp"], n),
        "signup": pd.to_datetime(rng.integers(1.6e12, 1.7e12, n), unit="ms"),
    })
    df.loc[::9, "age"] = np.nan
    logit = (df["age"].fillna(40) - 40) / 12 + (df["country"] == "us") + rng.normal(0, 1, n)
    return df, (logit > 0.3).astype(int).to_numpy()


@pytest.fixture
def frame():
    return make_frame()


@pytest.fixture
def fitted(frame):
    import lightgbm as lgb

    from jupyter_bighead.pipeline import (
        CategoryEncode,
        Clip,
        DateParts,
        Impute,
        Log1p,
        Pipeline,
        Standardize,
    )

    X, y = frame
    pipe = Pipeline(
        [
            Impute(columns=["age"], strategy="median", add_indicator=True),
            Clip(columns=["age", "spend"]),
            Standardize(columns=["age"]),
            Log1p(columns=["spend"]),
            CategoryEncode(columns=["country"]),
            DateParts(columns=["signup"]),
        ],
        learner=lgb.LGBMClassifier(n_estimators=25, num_leaves=15, verbose=-1),
    )
    return pipe.fit(X, y)
