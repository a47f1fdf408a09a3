"""LightGBM's estimators predicting from arrays (models.lgbm_fast): the same bits as
LightGBM's own DataFrame path, compared with ``==``, and ``None`` (the caller's cue to
take the DataFrame path) whenever a precondition does not hold."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest

from jupyter_bighead.models import dump_model, load_model
from jupyter_bighead.models.lgbm_fast import predict_columns

CITIES = ["berlin", "lima", "oslo", "paris", "quito", "rome"]


def mixed_frame(n: int, seed: int = 0) -> pd.DataFrame:
    """Every column kind LightGBM accepts from a DataFrame."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    x[rng.random(n) < 0.1] = np.nan
    city = rng.choice(CITIES, n).astype(object)
    city[rng.random(n) < 0.05] = None
    return pd.DataFrame({
        "x": x,
        "big": rng.integers(-10**6, 10**6, n),                  # int64
        "small": rng.integers(-5, 5, n).astype(np.int8),
        "flag": rng.random(n) < 0.3,                             # bool
        "f32": rng.normal(size=n).astype(np.float32),
        "city": pd.Categorical(city, categories=CITIES),
        "level": pd.Categorical(rng.integers(1, 6, n)),         # integer categories
    })


def target(X: pd.DataFrame, seed: int = 1, classes: int = 2) -> np.ndarray:
    rng = np.random.default_rng(seed)
    score = (np.nan_to_num(X["x"].to_numpy()) + X["flag"].to_numpy() * 0.8
             + (X["city"].astype(object) == "oslo").to_numpy() * 1.2
             + X["small"].to_numpy() * 0.1 + rng.normal(0, 0.7, len(X)))
    cuts = np.quantile(score, np.linspace(0, 1, classes + 1)[1:-1])
    return np.searchsorted(cuts, score)


def cols(X: pd.DataFrame) -> list:
    return [X[c].array if isinstance(X[c].dtype, pd.CategoricalDtype) else X[c].to_numpy()
            for c in X.columns]


def same(a, b) -> None:
    """Bit for bit: same shape and dtype, every value ``==`` (predictions have no NaN)."""
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape and a.dtype == b.dtype
    assert bool(np.all(a == b))


@pytest.fixture(scope="module")
def data():
    X = mixed_frame(1500)
    return X, target(X)


@pytest.fixture(scope="module")
def binary(data):
    X, y = data
    return lgb.LGBMClassifier(n_estimators=40, num_leaves=15, min_child_samples=5,
                              verbose=-1).fit(X, y)


def requests(X: pd.DataFrame) -> pd.DataFrame:
    """Rows the booster never saw at fit: unseen categories, nulls of each kind, and
    categoricals whose category lists differ from the stored ones."""
    rows = X.iloc[:12].copy()
    city = rows["city"].astype(object).to_numpy().copy()
    city[0], city[1], city[2], city[3] = "tokyo", None, np.nan, "oslo"
    # a request's own categories: another order, and one the booster never saw
    rows["city"] = pd.Categorical(city, categories=["tokyo", "rome", "quito", "paris", "oslo",
                                                 "lima", "berlin"])
    level = rows["level"].astype(object).to_numpy().copy()
    level[4], level[5] = 9, None
    rows["level"] = pd.Categorical(level, categories=[9, 5, 4, 3, 2, 1])
    rows.loc[rows.index[6], "x"] = np.nan
    return rows


def test_binary_probabilities_and_labels_are_lightgbms_bits(binary, data):
    X, _ = data
    for frame in (X, requests(X)):
        same(predict_columns(binary, cols(frame), proba=True), binary.predict_proba(frame))
        same(predict_columns(binary, cols(frame), proba=False), binary.predict(frame))


def test_one_row_at_a_time_gives_lightgbms_bits(binary, data):
    X, _ = data
    for frame in (X.iloc[:20], requests(X)):
        for i in range(len(frame)):
            row = frame.iloc[[i]]
            same(predict_columns(binary, cols(row), proba=True), binary.predict_proba(row))


def test_unseen_categories_and_nulls_predict_as_lightgbm_predicts_missing(binary, data):
    X, _ = data
    row = X.iloc[[0]].copy()
    outs = []
    for value in ("tokyo", None, np.nan):
        row["city"] = pd.Categorical([value], categories=[*CITIES, "tokyo"])
        out = predict_columns(binary, cols(row), proba=True)
        same(out, binary.predict_proba(row))
        outs.append(out)
    # LightGBM: a category it never stored is a missing value
    same(outs[0], outs[1])
    same(outs[1], outs[2])


def test_object_text_becomes_a_categorical_of_its_own_values(binary, data):
    X, _ = data
    rows = requests(X)
    text = rows["city"].astype(object)
    rows["city"] = pd.Categorical(text)  # categories: only the values in the request
    same(predict_columns(binary, cols(rows), proba=True), binary.predict_proba(rows))


def test_the_column_order_is_the_callers(binary, data):
    X, _ = data
    swapped = X[["x", "big", "small", "flag", "f32", "level", "city"]].iloc[:50]
    # LightGBM reads positions, not names: the DataFrame path and ours agree on that too
    same(predict_columns(binary, cols(swapped), proba=True), binary.predict_proba(swapped))
    assert not np.array_equal(binary.predict_proba(swapped), binary.predict_proba(X.iloc[:50]))


def test_multiclass_probabilities_labels_and_raw_scores(data):
    X, _ = data
    y = np.array(["low", "mid", "high"])[target(X, classes=3)]
    model = lgb.LGBMClassifier(n_estimators=30, num_leaves=7, verbose=-1).fit(X, y)
    for frame in (X, requests(X), X.iloc[[3]]):
        same(predict_columns(model, cols(frame), proba=True), model.predict_proba(frame))
        same(predict_columns(model, cols(frame), proba=False), model.predict(frame))
        same(predict_columns(model, cols(frame), proba=True, raw_score=True),
             model.predict_proba(frame, raw_score=True))


def test_raw_scores_of_a_binary_classifier(binary, data):
    X, _ = data
    for frame in (X, requests(X)):
        same(predict_columns(binary, cols(frame), proba=True, raw_score=True),
             binary.predict_proba(frame, raw_score=True))
        same(predict_columns(binary, cols(frame), proba=False, raw_score=True),
             binary.predict(frame, raw_score=True))


def test_regression_and_ranking(data):
    X, _ = data
    y = np.nan_to_num(X["x"].to_numpy()) * 3 + X["flag"].to_numpy()
    reg = lgb.LGBMRegressor(n_estimators=30, verbose=-1).fit(X, y)
    rank = lgb.LGBMRanker(n_estimators=10, min_child_samples=5, verbose=-1).fit(
        X, target(X, classes=4), group=[100] * 15)
    for model in (reg, rank):
        for frame in (X, requests(X), X.iloc[[7]]):
            same(predict_columns(model, cols(frame), proba=False), model.predict(frame))
    same(predict_columns(reg, cols(X), proba=False, raw_score=True), reg.predict(X, raw_score=True))
    assert predict_columns(reg, cols(X), proba=True) is None  # no predict_proba to mirror


def test_small_ints_bools_and_float32_alone_take_lightgbms_float32_matrix(data):
    # LightGBM converts this frame to float32 (no float64 column); ours is float64
    X, y = data
    X = X[["small", "flag", "f32", "city"]]
    X = X.assign(city=X["city"].cat.add_categories([]).fillna("oslo"))  # no -1 codes
    model = lgb.LGBMClassifier(n_estimators=20, verbose=-1).fit(X, y)
    same(predict_columns(model, cols(X), proba=True), model.predict_proba(X))


def test_a_stored_and_reloaded_model_keeps_the_bits(binary, data):
    # the booster comes back from text: its category lists are JSON's, not pandas'
    X, _ = data
    dumped = dump_model(binary)
    loaded = load_model(dumped.wrapper, dumped.files.__getitem__)
    assert loaded.booster_.pandas_categorical == binary.booster_.pandas_categorical
    for frame in (X, requests(X)):
        same(predict_columns(loaded, cols(frame), proba=True), loaded.predict_proba(frame))
        same(loaded.predict_proba(frame), binary.predict_proba(frame))


def test_best_iteration_and_changed_params_are_followed(data):
    X, y = data
    model = lgb.LGBMClassifier(n_estimators=200, learning_rate=0.3, verbose=-1)
    model.fit(X.iloc[:1000], y[:1000], eval_set=[(X.iloc[1000:], y[1000:])],
              callbacks=[lgb.early_stopping(5, verbose=False)])
    assert 0 < model.best_iteration_ < 200
    before = predict_columns(model, cols(X), proba=True)
    same(before, model.predict_proba(X))
    # a prediction parameter set after the first call (the cached params must follow)
    model.set_params(pred_early_stop=True, pred_early_stop_freq=1, pred_early_stop_margin=0.5)
    after = predict_columns(model, cols(X), proba=True)
    same(after, model.predict_proba(X))
    assert not np.array_equal(before, after)


def test_a_random_state_object_is_not_a_reason_to_differ(data):
    X, y = data
    model = lgb.LGBMClassifier(n_estimators=10, verbose=-1,
                               random_state=np.random.RandomState(3)).fit(X, y)
    same(predict_columns(model, cols(X), proba=True), model.predict_proba(X))


class Shifted(lgb.LGBMClassifier):
    def predict_proba(self, X, **kwargs):
        return super().predict_proba(X, **kwargs) * 0.5


def custom_objective(y_true, y_pred):
    p = 1 / (1 + np.exp(-y_pred))
    return p - y_true, p * (1 - p)


def test_without_its_preconditions_it_declines(binary, data):
    X, y = data
    good = cols(X)
    assert predict_columns(binary, good, proba=True) is not None
    declined = {
        "object column": [*good[:5], X["city"].astype(object).to_numpy(), good[6]],
        "datetime column": [*good[:6], np.array(["2020-01-01"] * len(X), "datetime64[ns]")],
        "2-D column": [*good[:6], np.ones((len(X), 2))],
        "unequal lengths": [*good[:6], good[6][:-1]],
        "no rows": [c[:0] for c in good],
        "no columns": [],
        "a third categorical": [*good, X["city"].array],
        "one categorical": [*good[:5], good[0], good[6]],
    }
    for why, columns in declined.items():
        assert predict_columns(binary, columns, proba=True) is None, why
    # the DataFrame path refuses what we decline, with LightGBM's own error
    with pytest.raises(ValueError):
        binary.predict_proba(X.assign(level=X["x"]))  # one categorical: stored two
    sub = Shifted(n_estimators=5, verbose=-1).fit(X, y)
    assert predict_columns(sub, good, proba=True) is None
    custom = lgb.LGBMClassifier(n_estimators=5, verbose=-1, objective=custom_objective).fit(X, y)
    assert predict_columns(custom, good, proba=True) is None
    assert predict_columns(lgb.LGBMClassifier(), good, proba=True) is None  # not fitted
    patched = lgb.LGBMClassifier(n_estimators=5, verbose=-1).fit(X, y)
    patched.predict_proba = lambda X: np.zeros((len(X), 2))
    assert predict_columns(patched, good, proba=True) is None
    booster = lgb.Booster(model_str=binary.booster_.model_to_string())
    assert predict_columns(booster, good, proba=False) is None


def test_wrong_number_of_columns_raises_as_lightgbm_does(binary, data):
    X, _ = data
    numeric = [X["x"].to_numpy(), X["big"].to_numpy(), X["city"].array, X["level"].array]
    with pytest.raises(lgb.basic.LightGBMError):
        predict_columns(binary, numeric, proba=True)
    with pytest.raises(lgb.basic.LightGBMError):
        binary.predict_proba(X[["x", "big", "city", "level"]])


class Spec:
    def __init__(self, task: str, X: pd.DataFrame) -> None:
        self.task = task
        self.input_schema = tuple((c, str(t)) for c, t in X.dtypes.items())


def test_the_prediction_rule_gives_plain_models_the_array_path(binary, data, monkeypatch):
    # models.predict.predict_frame: batch scoring and the model server call it
    from jupyter_bighead.models.predict import predict_frame

    X, _ = data
    frames = (X, requests(X), X.iloc[[5]], X[list(reversed(X.columns))].iloc[:30])
    expected = [binary.predict_proba(f[list(X.columns)])[:, 1] for f in frames]
    built = []
    real = lgb.basic._data_from_pandas
    monkeypatch.setattr(lgb.basic, "_data_from_pandas",
                        lambda *a, **k: built.append(1) or real(*a, **k))
    for frame, want in zip(frames, expected, strict=True):
        same(predict_frame(binary, Spec("binary", X), frame), want)
    assert built == []
    # a nullable integer column: LightGBM's own conversion, through its DataFrame path
    nullable = X.assign(big=X["big"].astype("Int64"))
    same(predict_frame(binary, Spec("binary", X), nullable), expected[0])
    assert built == [1]


def test_the_prediction_rule_for_multiclass_labels(data):
    from jupyter_bighead.models.lgbm_fast import predict_dataframe
    from jupyter_bighead.models.predict import predict_frame

    X, _ = data
    y = np.array(["low", "mid", "high"])[target(X, classes=3)]
    model = lgb.LGBMClassifier(n_estimators=10, verbose=-1).fit(X, y)
    same(predict_frame(model, Spec("multiclass", X), X), model.predict(X))
    assert predict_dataframe(model, X.assign(when=pd.Timestamp("2020-01-01")), proba=True) is None
    assert predict_dataframe(model, X.rename(columns={"big": "x"}), proba=True) is None
    assert predict_dataframe(object(), X, proba=True) is None


def test_concurrent_callers_get_their_own_bits(binary, data):
    # a model server predicts from a pool of threads; the per-learner caches are shared
    from concurrent.futures import ThreadPoolExecutor

    X, _ = data
    frames = [requests(X.iloc[i * 12:]) for i in range(8)] + [X.iloc[i:i + 3] for i in range(8)]
    expected = [binary.predict_proba(f) for f in frames]

    def work(k: int) -> bool:
        return all(np.array_equal(predict_columns(binary, cols(frames[(k + i) % 16]),
                                                  proba=True), expected[(k + i) % 16])
                   for i in range(40))

    with ThreadPoolExecutor(4) as pool:
        assert all(pool.map(work, range(8)))


def test_per_request_category_lists_do_not_grow_the_cache_without_bound(binary, data):
    import jupyter_bighead.models.lgbm_fast as lgbm_fast

    X, _ = data
    row = X.iloc[[0]].copy()
    for i in range(lgbm_fast._MAX_MAPPINGS + 50):
        row["city"] = pd.Categorical(["oslo"], categories=["oslo", f"new{i}"])
        same(predict_columns(binary, cols(row), proba=True), binary.predict_proba(row))
    assert len(lgbm_fast._state(binary).mappings) <= lgbm_fast._MAX_MAPPINGS
