"""The one prediction rule: the model's recorded columns in their order, and the
positive-class probability for binary classifiers."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

from jupyter_bighead.errors import InvalidSpec
from jupyter_bighead.models.predict import predict_frame


@dataclass(frozen=True)
class Spec:
    input_schema: tuple[tuple[str, str], ...]
    task: str


class Echo:
    """Predicts its first column; 'probabilities' are [1 - x, x]."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def predict(self, X):
        self.seen = list(X.columns)
        return X.iloc[:, 0].to_numpy()

    def predict_proba(self, X):
        self.seen = list(X.columns)
        x = X.iloc[:, 0].to_numpy()
        return np.column_stack([1 - x, x])


def test_predictions_read_the_recorded_columns_in_their_order():
    frame = pd.DataFrame({"extra": [9, 9], "b": [0.25, 0.5], "a": [0.1, 0.2]})
    model = Echo()
    out = predict_frame(model, Spec((("a", "float64"), ("b", "float64")), "regression"), frame)
    assert model.seen == ["a", "b"]
    np.testing.assert_array_equal(out, [0.1, 0.2])


def test_a_binary_classifier_predicts_the_positive_class_probability():
    frame = pd.DataFrame({"a": [0.1, 0.8]})
    out = predict_frame(Echo(), Spec((("a", "float64"),), "binary"), frame)
    np.testing.assert_allclose(out, [0.1, 0.8])
    multi = predict_frame(Echo(), Spec((("a", "float64"),), "multiclass"), frame)
    np.testing.assert_allclose(multi, [0.1, 0.8])  # predict(), not a probability column


def test_without_a_recorded_schema_every_column_is_used():
    model = Echo()
    predict_frame(model, Spec((), "regression"), pd.DataFrame({"x": [1.0], "y": [2.0]}))
    assert model.seen == ["x", "y"]


def test_missing_columns_are_named():
    with pytest.raises(InvalidSpec, match=r"lacks the model's columns \['b'\]"):
        predict_frame(Echo(), Spec((("a", "f"), ("b", "f")), "binary"),
                      pd.DataFrame({"a": [1.0]}))


class Declared(Echo):
    """Declares its inputs, as a pipeline does: ``b`` optional."""

    def input_spec(self):
        return [{"name": "a", "dtype": "float64", "required": True},
                {"name": "b", "dtype": "float64", "required": False}]


def test_a_model_that_declares_its_inputs_reads_them_optional_ones_when_present():
    spec = Spec((("a", "float64"), ("b", "float64"), ("id", "int64")), "regression")
    model = Declared()
    predict_frame(model, spec, pd.DataFrame({"b": [0.5], "a": [0.1], "id": [3]}))
    assert model.seen == ["a", "b"]
    predict_frame(model, spec, pd.DataFrame({"a": [0.1]}))  # b may be absent, id unread
    assert model.seen == ["a"]
    with pytest.raises(InvalidSpec, match=r"lacks the model's columns \['a'\]"):
        predict_frame(model, spec, pd.DataFrame({"b": [0.5]}))


def test_a_one_column_probability_is_the_prediction():
    class Flat(Echo):
        def predict_proba(self, X):
            return X.iloc[:, 0].to_numpy()

    out = predict_frame(Flat(), Spec((("a", "float64"),), "binary"), pd.DataFrame({"a": [0.3]}))
    np.testing.assert_allclose(out, [0.3])
