"""The one prediction rule, shared by batch scoring, online serving and anything else
that turns a registered model and a table into predictions.

A registered version records the columns the model was trained on (its input schema)
and its task. Predictions use exactly those columns, in that order (a model that
declares its own inputs, as a pipeline does with ``input_spec()``, reads those, its
optional ones only when present), and a binary classifier's prediction is the
probability of the positive class. A LightGBM estimator gets the frame's columns as
arrays (:mod:`.lgbm_fast`: the same bits as its DataFrame path, without converting the
DataFrame), a pipeline's learner likewise.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

import jupyter_bighead.models.lgbm_fast as lgbm_fast

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


def input_columns(spec: ModelSpec, frame: pd.DataFrame, model: Any = None) -> list[str]:
    """The columns the model reads, in its order, that ``frame`` has.

    A model that declares its inputs (``model.input_spec()``, as a pipeline does: names
    and whether each is required) reads those, and an optional one may be absent. Any
    other model reads the registry's recorded input schema (all of ``frame``'s columns
    if it recorded none), every column required.

    Raises
    ------
    InvalidSpec
        If ``frame`` lacks a required one (the message lists the missing ones).
    """
    declared = _declared_inputs(model)
    if declared is not None:
        names = [name for name, _required in declared]
        optional = {name for name, required in declared if not required}
    else:
        names = [name for name, _dtype in spec.input_schema] or list(frame.columns)
        optional = set()
    present = set(frame.columns)
    missing = [n for n in names if n not in present and n not in optional]
    if missing:
        raise InvalidSpec(f"the input lacks the model's columns {missing}")
    return [n for n in names if n in present]


def _declared_inputs(model: Any) -> list[tuple[str, bool]] | None:
    spec_fn = getattr(model, "input_spec", None)
    if not callable(spec_fn):
        return None
    spec = spec_fn()
    if not spec:
        return None
    return [(str(s["name"]), bool(s.get("required", True))) for s in spec]


def predict_frame(model: Any, spec: ModelSpec, frame: pd.DataFrame) -> Any:
    """Predictions for ``frame``: the columns :func:`input_columns` names, in that order;
    for a binary classifier the probability of the positive class (the second column of
    ``predict_proba``, or all of it when that is one column per row already), else
    ``predict``.

    Raises
    ------
    InvalidSpec
        If ``frame`` lacks one of the model's required columns.
    """
    columns = input_columns(spec, frame, model)
    X = frame if list(frame.columns) == columns else frame[columns]
    if spec.task == "binary" and hasattr(model, "predict_proba"):
        proba = lgbm_fast.predict_dataframe(model, X, proba=True)
        if proba is None:
            proba = model.predict_proba(X)
        return proba[:, 1] if getattr(proba, "ndim", 1) == 2 else proba
    out = lgbm_fast.predict_dataframe(model, X, proba=False)
    return model.predict(X) if out is None else out
