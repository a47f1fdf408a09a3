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
