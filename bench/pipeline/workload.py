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
