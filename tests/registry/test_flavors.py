"""Models survive the round trip through LightGBM text and JSON, without pickle."""

from __future__ import annotations

import json
import pickle

import numpy as np
import pytest

from jupyter_bighead.errors import IntegrityError, InvalidSpec
from jupyter_bighead.registry.flavors import FORMAT, dump_model, load_model


def _round_trip(model):
    dumped = dump_model(model)
    wrapper = json.loads(json.dumps(dumped.wrapper))  # the wrapper must be plain JSON
    return load_model(wrapper, dumped.files.__getitem__)


@pytest.fixture
def no_pickle(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("loading a model must never unpickle")

    monkeypatch.setattr(pickle, "loads", refuse)
    monkeypatch.setattr(pickle, "load", refuse)


def test_booster_round_trip_predicts_bit_for_bit(booster, data, no_pickle):
    X, _ = data
    loaded = _round_trip(booster)
    assert np.array_equal(loaded.predict(X), booster.predict(X))
    contrib = booster.predict(X, pred_contrib=True)
    assert np.array_equal(loaded.predict(X, pred_contrib=True), contrib)


def test_classifier_round_trip_keeps_labels_probabilities_and_feature_names(data, no_pickle):
    import lightgbm as lgb

    X, y = data
    labels = np.where(y == 1, "book", "browse")
    model = lgb.LGBMClassifier(n_estimators=10, verbose=-1).fit(X, labels)
    loaded = _round_trip(model)
    assert type(loaded) is lgb.LGBMClassifier
    assert np.array_equal(loaded.predict_proba(X), model.predict_proba(X))
    assert np.array_equal(loaded.predict(X), model.predict(X))
    assert list(loaded.classes_) == ["book", "browse"]
    assert list(loaded.feature_names_in_) == list("abcd")
    assert loaded.n_features_in_ == 4 and loaded.n_estimators == 10
    assert np.array_equal(loaded.feature_importances_, model.feature_importances_)


def test_regressor_trained_on_arrays_round_trips(data):
    import lightgbm as lgb

    X, _ = data
    arr = X.to_numpy()
    model = lgb.LGBMRegressor(n_estimators=10, verbose=-1).fit(arr, arr[:, 0] * 3)
    loaded = _round_trip(model)
    assert np.array_equal(loaded.predict(arr), model.predict(arr))
    assert not hasattr(loaded, "feature_names_in_")


@pytest.mark.filterwarnings("ignore:The argument 'eval_set' is deprecated")
def test_early_stopped_models_keep_their_best_iteration(data):
    import lightgbm as lgb

    X, y = data
    model = lgb.LGBMClassifier(n_estimators=200, learning_rate=0.3, verbose=-1).fit(
        X[:400], y[:400], eval_set=[(X[400:], y[400:])],
        callbacks=[lgb.early_stopping(3, verbose=False)])
    assert 0 < model.best_iteration_ < 200
    loaded = _round_trip(model)
    assert loaded.best_iteration_ == model.best_iteration_
    assert np.array_equal(loaded.predict_proba(X), model.predict_proba(X))


def test_wrapper_names_flavor_and_format_and_stores_no_pickle(classifier):
    dumped = dump_model(classifier)
    assert dumped.wrapper["format"] == FORMAT
    assert dumped.wrapper["flavor"] == "lightgbm.sklearn"
    assert dumped.wrapper["classes"] == [0, 1]
    assert set(dumped.files) == {"model.txt"}
    assert dumped.files["model.txt"].startswith(b"tree\n")


def test_newer_wrapper_formats_and_unknown_flavors_are_refused(classifier):
    dumped = dump_model(classifier)
    with pytest.raises(IntegrityError, match="newer"):
        load_model({**dumped.wrapper, "format": FORMAT + 1}, dumped.files.__getitem__)
    with pytest.raises(IntegrityError, match="not available"):
        load_model({**dumped.wrapper, "flavor": "pipeline"}, dumped.files.__getitem__)


def test_unfitted_estimators_are_invalid():
    import lightgbm as lgb

    with pytest.raises(InvalidSpec, match="not fitted"):
        dump_model(lgb.LGBMClassifier())
