"""The pipeline benchmark's data and its two contenders, built the same way.

20 raw columns: 14 numeric with 5% missing (``n0``..``n13``), 2 positive skewed
(``p0``, ``p1``), 3 string categories (``c0``..``c2``, 50 values each) and one
timestamp (``ts``). Six blocks: median imputation, 1%/99% quantile clipping and
standardisation of the numeric columns, log1p of the skewed ones, category encoding
and date parts. The scikit-learn equivalent is the ``ColumnTransformer`` a user would
write: ``SimpleImputer``, a quantile clipper (sklearn has none; written in the
sklearn style on 2-D arrays), ``StandardScaler``, ``FunctionTransformer(np.log1p)``,
``OrdinalEncoder`` (unknown values to -1) and a ``FunctionTransformer`` over the
``.dt`` accessors.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

NUM = [f"n{i}" for i in range(14)]
POS = ["p0", "p1"]
CAT = ["c0", "c1", "c2"]
TS = ["ts"]
PARTS = ("year", "month", "day", "dayofweek", "hour")


def make_frame(rows: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    data: dict[str, Any] = {}
    for name in NUM:
        x = rng.normal(size=rows)
        x[rng.random(rows) < 0.05] = np.nan
        data[name] = x
    for name in POS:
        data[name] = rng.exponential(10.0, rows)
    values = np.array([f"v{i:02d}" for i in range(50)], dtype=object)
    for name in CAT:
        data[name] = pd.array(values[rng.integers(0, 50, rows)], dtype="str")
    data["ts"] = pd.to_datetime(rng.integers(1_600_000_000_000, 1_700_000_000_000, rows),
                                unit="ms")
    return pd.DataFrame(data)


def ours() -> Any:
    from jupyter_bighead.pipeline import (
        CategoryEncode,
        Clip,
        DateParts,
        Impute,
        Log1p,
        Pipeline,
        Standardize,
    )

    return Pipeline([
        Impute(columns=NUM, strategy="median"),
        Clip(columns=NUM, lower=0.01, upper=0.99),
        Standardize(columns=NUM),
        Log1p(columns=POS),
        CategoryEncode(columns=CAT),
        DateParts(columns=TS, parts=PARTS),
    ])


def _date_parts(frame: Any) -> np.ndarray:
    s = frame.iloc[:, 0]
    return np.column_stack([s.dt.year, s.dt.month, s.dt.day, s.dt.day_of_week, s.dt.hour]
                           ).astype(np.float64)


def sklearn_pipeline() -> Any:
    from sklearn.base import BaseEstimator, TransformerMixin
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer, OrdinalEncoder, StandardScaler

    class QuantileClip(TransformerMixin, BaseEstimator):
        def __init__(self, lower: float = 0.01, upper: float = 0.99) -> None:
            self.lower = lower
            self.upper = upper

        def fit(self, X: Any, y: Any = None) -> Any:
            X = np.asarray(X, dtype=np.float64)
            self.lower_, self.upper_ = np.nanquantile(X, [self.lower, self.upper], axis=0)
            return self

        def transform(self, X: Any) -> Any:
            return np.clip(np.asarray(X, dtype=np.float64), self.lower_, self.upper_)

    return ColumnTransformer([
        ("num", make_pipeline(SimpleImputer(strategy="median"), QuantileClip(),
                              StandardScaler()), NUM),
        ("pos", FunctionTransformer(np.log1p), POS),
        ("cat", OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1), CAT),
        ("date", FunctionTransformer(_date_parts), TS),
    ])


def as_matrix(out: pd.DataFrame) -> np.ndarray:
    """Our output in the sklearn output's column order, categories as codes."""
    cols = []
    for name in NUM + POS:
        cols.append(out[name].to_numpy())
    for name in CAT:
        codes = out[name].cat.codes.to_numpy().astype(np.float64)
        codes[codes < 0] = np.nan
        cols.append(codes)
    cols += [out[f"ts__{p}"].to_numpy() for p in PARTS]
    return np.column_stack(cols)


# ---- one-row prediction: five blocks and a LightGBM learner --------------------------
#: The learner both contenders use. One thread: what a serving process runs (it pins
#: LightGBM to one OpenMP thread), and on a shared machine a second thread's spin-wait
#: costs more than a one-row prediction.
LEARNER = {"n_estimators": 100, "num_leaves": 31, "learning_rate": 0.1, "n_jobs": 1,
           "verbose": -1, "random_state": 0}


def make_target(frame: pd.DataFrame, seed: int = 1) -> np.ndarray:
    """A binary label that depends on numeric, categorical and date columns."""
    rng = np.random.default_rng(seed)
    code = frame["c0"].astype(object).str[1:].astype(float).to_numpy()
    score = (np.nan_to_num(frame["n0"].to_numpy()) - 0.5 * np.nan_to_num(frame["n1"].to_numpy())
             + 0.04 * (code - 25) + 0.05 * (frame["ts"].dt.hour.to_numpy() - 12)
             + np.log1p(frame["p0"].to_numpy()) * 0.3 + rng.normal(0, 1, len(frame)))
    return (score > np.median(score)).astype(int)


def ours_model() -> Any:
    """Five blocks (imputation, clipping, standardisation, category encoding, date parts;
    ``p0``/``p1`` pass through) and an ``LGBMClassifier``."""
    from lightgbm import LGBMClassifier

    from jupyter_bighead.pipeline import (
        CategoryEncode,
        Clip,
        DateParts,
        Impute,
        Pipeline,
        Standardize,
    )

    return Pipeline([
        Impute(columns=NUM, strategy="median"),
        Clip(columns=NUM, lower=0.01, upper=0.99),
        Standardize(columns=NUM),
        CategoryEncode(columns=CAT),
        DateParts(columns=TS, parts=PARTS),
    ], learner=LGBMClassifier(**LEARNER))


def sklearn_model() -> Any:
    """The scikit-learn equivalent: a ``ColumnTransformer`` with the same steps, columns
    in the same order, then the same ``LGBMClassifier`` told which columns are
    categorical (fit it with :func:`sklearn_fit_params`)."""
    from lightgbm import LGBMClassifier
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import Pipeline as SkPipeline

    full = sklearn_pipeline()
    num, _pos, cat, date = full.transformers
    prep = ColumnTransformer([num, ("pos", "passthrough", POS), cat, date])
    return SkPipeline([("prep", prep), ("lgbm", LGBMClassifier(**LEARNER))])


def sklearn_fit_params() -> dict[str, Any]:
    """The categorical columns' positions in the ``ColumnTransformer``'s output."""
    first = len(NUM) + len(POS)
    return {"lgbm__categorical_feature": list(range(first, first + len(CAT)))}
