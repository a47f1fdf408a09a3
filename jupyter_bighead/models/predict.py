"""The one prediction rule, shared by batch scoring, online serving and anything else
that turns a registered model and a table into predictions.

A registered version records the columns the model was trained on (its input schema)
and its task. Predictions use exactly those columns, in that order, and a binary
classifier's prediction is the probability of the positive class.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

from ..errors import InvalidSpec

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["ModelSpec", "input_columns", "predict_frame"]


class ModelSpec(Protocol):
    """What the rule needs to know about a model version (a registry
    ``ModelVersion`` is one)."""

    @property
    def input_schema(self) -> Sequence[tuple[str, str]]: ...

    @property
    def task(self) -> str: ...


def input_columns(spec: ModelSpec, frame: pd.DataFrame) -> list[str]:
    """The columns the model reads, in its order (all of ``frame``'s if it recorded
    none).

    Raises
    ------
    InvalidSpec
        If ``frame`` lacks any of them (the message lists the missing ones).
    """
    names = [name for name, _dtype in spec.input_schema] or list(frame.columns)
    missing = [n for n in names if n not in frame.columns]
    if missing:
        raise InvalidSpec(f"the input lacks the model's columns {missing}")
    return names


def predict_frame(model: Any, spec: ModelSpec, frame: pd.DataFrame) -> Any:
    """Predictions for ``frame`` in the model's input order (probability of the positive
    class for binary classifiers).

    Raises
    ------
    InvalidSpec
        If ``frame`` lacks one of the model's columns.
    """
    X = frame[input_columns(spec, frame)]
    if hasattr(model, "predict_proba") and spec.task == "binary":
        return model.predict_proba(X)[:, 1]
    return model.predict(X)
