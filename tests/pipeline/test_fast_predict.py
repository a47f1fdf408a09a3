"""A pipeline's LightGBM learner predicts from arrays (no DataFrame), with the bits of
LightGBM's DataFrame path: ``learner.predict_proba(pipe.transform(X))`` is the
reference, compared with ``==``."""

from __future__ import annotations

import lightgbm as lgb
import lightgbm.basic
import numpy as np
import pandas as pd
import pytest

from jupyter_bighead.models import dump_model, load_model
from jupyter_bighead.models.predict import predict_frame
from jupyter_bighead.pipeline import CategoryEncode, DateParts, Impute, Pipeline, Standardize

from .conftest import make_frame


def same(a, b) -> None:
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape and a.dtype == b.dtype
    assert bool(np.all(a == b))


@pytest.fixture
def frames_built(monkeypatch):
    """How many DataFrames LightGBM converted (its DataFrame path), counted on the real
    function."""
    calls = []
    real = lightgbm.basic._data_from_pandas

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(lightgbm.basic, "_data_from_pandas", counting)
    return calls


def reference(pipe: Pipeline, X, proba: bool = True):
    """LightGBM's own DataFrame path."""
    frame = pipe.transform(X)
    return pipe.learner.predict_proba(frame) if proba else pipe.learner.predict(frame)


def odd_rows() -> pd.DataFrame:
    """Requests the pipeline never saw: an unseen country and every kind of null."""
    X, _ = make_frame(6, seed=5)
    X["country"] = pd.Series(["zz", None, np.nan, "us", pd.NA, "de"], dtype=object)
    X.loc[3, "age"] = np.nan
    return X


def test_predictions_are_the_dataframe_paths_bits_without_a_dataframe(fitted, frame,
                                                                      frames_built):
    X, _ = frame
    for rows in (X, odd_rows()):
        same(fitted.predict_proba(rows), reference(fitted, rows))
        same(fitted.predict(rows), reference(fitted, rows, proba=False))
    frames_built.clear()
    fitted.predict_proba(X)
    fitted.predict_proba(X.iloc[[0]])
    assert frames_built == []  # the learner never got a DataFrame


def test_one_row_dataframes_and_dicts_give_the_batch_bits(fitted, frame):
    X, _ = frame
    batch = fitted.predict_proba(X.iloc[:25])
    for i in range(25):
        row = X.iloc[[i]]
        same(fitted.predict_proba(row), reference(fitted, row))
        same(fitted.predict_proba(row), batch[[i]])
        same(fitted.predict_proba(row.iloc[0].to_dict()), batch[[i]])
    odd = odd_rows()
    for i in (0, 1, 3, 4, 5):  # a dict's lone NaN is a float, not a missing text value
        record = odd.iloc[i].to_dict()
        same(fitted.predict_proba(record), reference(fitted, odd.iloc[[i]]))


def test_unseen_and_null_categories_predict_alike(fitted, frame):
    X, _ = frame
    row = X.iloc[[4]].copy()
    outs = []
    for value in ("zz", None, np.nan, pd.NA):
        row["country"] = pd.array([value], dtype=object)
        outs.append(fitted.predict_proba(row))
        same(outs[-1], reference(fitted, row))
    # CategoryEncode keeps a reserved category for unseen values and nulls stay null;
    # in LightGBM's trees both go where missing values go
    for out in outs[1:]:
        same(out, outs[0])


def test_the_raw_columns_order_does_not_matter(fitted, frame):
    X, _ = frame
    shuffled = X[list(reversed(X.columns))]
    same(fitted.predict_proba(shuffled), fitted.predict_proba(X))
    same(fitted.predict_proba(shuffled.iloc[[9]]), fitted.predict_proba(X.iloc[[9]]))


def mixed(n: int, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({
        "amount": rng.normal(size=n),
        "count": rng.integers(0, 50, n),                     # int, passed through
        "flag": rng.random(n) < 0.4,                         # bool, passed through
        "tier": pd.Categorical(rng.choice(["gold", "silver", "bronze"], n)),  # encoded
        "channel": pd.Categorical(rng.choice(["web", "app", "shop"], n)),     # raw
        "when": pd.to_datetime(rng.integers(1.6e12, 1.7e12, n), unit="ms"),
    })
    score = X["amount"] + X["flag"] + (X["channel"] == "app") + rng.normal(0, 0.5, n)
    return X, np.digitize(score, np.quantile(score, [1 / 3, 2 / 3]))


def mixed_pipeline(learner) -> Pipeline:
    return Pipeline([Impute(columns=["amount"]), Standardize(columns=["amount"]),
                     CategoryEncode(columns=["tier"]), DateParts(columns=["when"])],
                    learner=learner)


@pytest.mark.parametrize("learner", [
    lgb.LGBMClassifier(n_estimators=20, num_leaves=7, verbose=-1),
    lgb.LGBMRegressor(n_estimators=20, num_leaves=7, verbose=-1),
], ids=["multiclass", "regression"])
def test_categorical_bool_and_int_inputs_multiclass_and_regression(learner):
    X, y = mixed(800)
    pipe = mixed_pipeline(learner).fit(X, y)
    # requests whose raw categoricals have other category lists than at fit
    req = X.iloc[:10].copy()
    req["channel"] = pd.Categorical(["app", "kiosk", None, "web", "shop"] * 2,
                                    categories=["shop", "kiosk", "app", "web"])
    req["tier"] = pd.Categorical(["gold", "tin", None, "silver", "bronze"] * 2)
    for rows in (X, req, req.iloc[[1]], X.iloc[[0]]):
        same(pipe.predict(rows), reference(pipe, rows, proba=False))
        if hasattr(pipe.learner, "predict_proba"):
            same(pipe.predict_proba(rows), reference(pipe, rows))


def test_a_stored_and_loaded_pipeline_keeps_the_bits(fitted, frame, frames_built):
    X, _ = frame
    dumped = dump_model(fitted)
    loaded = load_model(dumped.wrapper, dumped.files.__getitem__)
    for rows in (X, odd_rows(), X.iloc[[2]]):
        same(loaded.predict_proba(rows), fitted.predict_proba(rows))
        same(loaded.predict_proba(rows), reference(loaded, rows))
    frames_built.clear()
    loaded.predict_proba(X.iloc[[2]])
    assert frames_built == []


class Spec:
    task = "binary"
    input_schema = (("age", "float64"),)


def test_the_serving_rule_takes_the_array_path(fitted, frame, frames_built):
    # models.predict.predict_frame is what batch scoring and the model server call
    X, _ = frame
    for rows in (X.iloc[[5]], odd_rows(), X):
        expected = reference(fitted, rows)[:, 1]
        frames_built.clear()
        same(predict_frame(fitted, Spec(), rows), expected)
        assert frames_built == []


class Halved(lgb.LGBMClassifier):
    def predict_proba(self, X, **kwargs):
        return super().predict_proba(X, **kwargs) / 2


def test_other_learners_still_get_the_dataframe(frame, frames_built):
    from sklearn.linear_model import LogisticRegression

    X, y = frame
    numeric = X[["age", "spend"]]
    pipe = Pipeline([Impute(columns=["age"])], learner=LogisticRegression()).fit(numeric, y)
    same(pipe.predict_proba(numeric), reference(pipe, numeric))
    X = X.drop(columns="signup")
    sub = Pipeline([Impute(columns=["age"]), CategoryEncode(columns=["country"])],
                   learner=Halved(n_estimators=5, verbose=-1)).fit(X, y)
    frames_built.clear()
    out = sub.predict_proba(X.iloc[[1]])
    assert frames_built == [1]  # the subclass's own predict_proba ran, on a DataFrame
    same(out, reference(sub, X.iloc[[1]]))
    assert float(out.sum()) == pytest.approx(0.5)


def test_a_served_pipeline_takes_the_array_path(fitted, frame, frames_built, tmp_path):
    # the model server: rows checked against the schema (unseen countries are fine, nulls
    # are refused there), a DataFrame, the serving rule
    from jupyter_bighead.registry import Registry
    from jupyter_bighead.serving.runtime.model import ServedModel

    X, y = frame
    reg = Registry(tmp_path / "registry")
    reg.register("pipe", fitted, X_valid=X.iloc[:200], y_valid=y[:200])
    served = ServedModel.load(reg, "pipe")
    requests = X.iloc[:8].copy()
    requests["country"] = pd.Series(["zz", "mx", "us", "de", "fr", "jp", "us", "zz"],
                                    dtype=object, index=requests.index)
    records = [{k: (v.isoformat() if isinstance(v, pd.Timestamp) else v)
                for k, v in r.items()} for r in requests.to_dict(orient="records")]
    rows = served.schema.rows_from_instances(records)
    expected = reference(fitted, requests)[:, 1]
    for i in range(len(rows)):
        frames_built.clear()
        assert served.predict_rows(rows[i:i + 1]) == expected[i:i + 1].tolist()
        assert frames_built == []
    assert served.predict_rows(rows) == expected.tolist()
