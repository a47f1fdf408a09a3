"""LightGBM's scikit-learn estimators predicting from arrays, skipping pandas.

``LGBMClassifier.predict_proba(frame)`` spends most of a one-row call building and
converting a DataFrame (``lightgbm.basic._data_from_pandas``): about 1 ms, against a
few tens of microseconds for the trees. :func:`predict_columns` takes the learner's
input as a list of columns instead (numpy arrays, or ``pandas.Categorical`` for
categorical features), turns it into the float matrix LightGBM itself would build, and
hands that to ``Booster.predict`` with the parameters the estimator's own ``predict``
would pass. The result is bit for bit LightGBM's own DataFrame path (the tests compare
with ``==``):

* a categorical column becomes its codes in the booster's stored category lists
  (``booster.pandas_categorical``, one list per categorical column, in column order):
  when a column's categories differ from the stored list, its codes are remapped
  exactly as ``Categorical.set_categories(stored)`` remaps them (the mapping is
  computed by that very call, once per categories object), so a category the booster
  never saw and a null both become NaN, as in LightGBM;
* every column becomes float64. LightGBM picks ``np.result_type`` of the column dtypes
  and float32, which is float32 for small ints, bools and float32 columns; all of those
  hold values float32 represents exactly, and LightGBM reads either width as a double,
  so the doubles it predicts from are the same;
* the keyword arguments are those of ``LGBMModel.predict`` (the estimator's params,
  ``num_threads`` from ``n_jobs``), computed by the estimator's own helpers and kept
  until one of its attributes changes (``set_params`` or assignment);
* the binary ``[1 - p, p]`` columns and the class labels are built as the estimator
  builds them.

When a precondition does not hold, :func:`predict_columns` returns ``None`` and the
caller takes the DataFrame path, which gives the same result or raises LightGBM's own
error. It returns ``None`` for: a model that is not an unmodified ``LGBMClassifier``,
``LGBMRegressor`` or ``LGBMRanker`` of LightGBM 4 (a subclass, or ``predict`` replaced on
the instance), one not fitted or trained with a custom objective, no rows or no columns,
columns of unequal length or not 1-D, a column that is neither a numeric (int, uint,
float, bool) numpy array nor a ``pandas.Categorical`` (LightGBM refuses object, text and
date columns), a number of categorical columns other than the booster's stored lists,
category lists that cannot be compared or remapped, and a LightGBM whose private helpers
(``_process_params``, ``_process_n_jobs``, ``_ConfigAliases``, ``_choose_param_value``)
are missing.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Sequence
from typing import Any

__all__ = ["predict_columns", "predict_dataframe"]

_CLASSES = ("LGBMClassifier", "LGBMRegressor", "LGBMRanker")
#: Remappings kept per learner (one per categories object seen); beyond this the cache
#: starts again, so per-request categoricals cannot grow it without bound.
_MAX_MAPPINGS = 256


class _State:
    """What one learner's fast path keeps between calls."""

    __slots__ = ("mappings", "params")

    def __init__(self) -> None:
        # (the learner's attributes, the params they gave): one tuple, replaced whole,
        # so that a thread never pairs one call's attributes with another's params
        self.params: tuple[tuple[Any, ...], dict[str, Any]] | None = None
        # (id(categories), id(stored)) -> (categories, stored, mapping or None)
        self.mappings: dict[tuple[int, int], tuple[Any, Any, Any]] = {}


_states: weakref.WeakKeyDictionary[Any, _State] = weakref.WeakKeyDictionary()
_states_lock = threading.Lock()


def _state(learner: Any) -> _State:
    state = _states.get(learner)
    if state is None:
        with _states_lock:
            state = _states.setdefault(learner, _State())
    return state


def _supported(learner: Any) -> Any:
    """The lightgbm module when ``learner`` qualifies (see the module docstring)."""
    cls = type(learner)
    if cls.__name__ not in _CLASSES or not cls.__module__.startswith("lightgbm"):
        return None
    import lightgbm

    if not str(lightgbm.__version__).startswith("4."):
        return None
    base = getattr(lightgbm, cls.__name__)
    if cls is not base:
        return None
    if not learner.__sklearn_is_fitted__() or callable(getattr(learner, "_objective", None)):
        return None
    if {"predict", "predict_proba"} & vars(learner).keys():  # patched on the instance
        return None
    return lightgbm


def _predict_params(learner: Any, state: _State) -> dict[str, Any] | None:
    """The keyword arguments ``LGBMModel.predict`` passes to ``Booster.predict`` (its
    lines, repeated), cached while the learner's attributes are the same objects."""
    import numpy as np

    attrs = tuple(vars(learner).items())
    cached = state.params
    if (cached is not None and len(attrs) == len(cached[0])
            and all(k1 == k2 and v1 is v2
                    for (k1, v1), (k2, v2) in zip(attrs, cached[0], strict=True))):
        return cached[1]
    try:
        from lightgbm.basic import _choose_param_value, _ConfigAliases

        params = learner._process_params(stage="predict")
        for alias in _ConfigAliases.get_by_alias(
                "data", "X", "raw_score", "start_iteration", "num_iteration", "pred_leaf",
                "pred_contrib"):
            params.pop(alias, None)
        params = _choose_param_value("num_threads", params, learner.n_jobs)
        params["num_threads"] = learner._process_n_jobs(params["num_threads"])
    except (ImportError, AttributeError, TypeError):
        return None
    # A RandomState/Generator seed is drawn afresh by every predict(): never cached.
    if not isinstance(getattr(learner, "random_state", None),
                      np.random.RandomState | np.random.Generator):
        state.params = (attrs, params)
    return params


def _mapping(values: Any, stored: list[Any], state: _State) -> tuple[bool, Any]:
    """``(ok, mapping)``: ``mapping`` (an int array indexed by code, ``-1`` last) turns
    ``values``' codes into codes of ``stored``, ``None`` when they are already; ``ok``
    is False when LightGBM's own comparison or remapping would raise."""
    import numpy as np
    import pandas as pd

    categories = values.categories
    key = (id(categories), id(stored))
    hit = state.mappings.get(key)
    if hit is not None and hit[0] is categories and hit[1] is stored:
        return True, hit[2]
    try:
        # LightGBM: ``if list(data[col].cat.categories) != list(category): set_categories``
        if list(categories) != list(stored):
            full = pd.Categorical.from_codes(np.arange(len(categories)), dtype=values.dtype)
            codes = np.asarray(full.set_categories(stored).codes, dtype=np.int64)
            mapping: Any = np.append(codes, -1)
        else:
            mapping = None
    except (TypeError, ValueError):
        return False, None
    if len(state.mappings) >= _MAX_MAPPINGS:
        state.mappings.clear()
    state.mappings[key] = (categories, stored, mapping)
    return True, mapping


def _matrix(columns: Sequence[Any], stored: list[Any] | None, state: _State) -> Any:
    """The float64 matrix LightGBM would predict from, or ``None``."""
    import numpy as np
    import pandas as pd

    n = len(columns[0])
    if n == 0:
        return None
    n_cat = 0
    X = np.empty((n, len(columns)), dtype=np.float64)
    for j, values in enumerate(columns):
        if isinstance(values, np.ndarray):
            if values.ndim != 1 or values.dtype.kind not in "biuf" or len(values) != n:
                return None
            X[:, j] = values
        elif isinstance(values, pd.Categorical):
            if len(values) != n:
                return None
            codes = values.codes
            if stored is not None:
                if n_cat >= len(stored):
                    return None
                ok, mapping = _mapping(values, stored[n_cat], state)
                if not ok:
                    return None
                if mapping is not None:
                    codes = mapping[codes]
            n_cat += 1
            X[:, j] = codes
            missing = codes < 0
            if missing.any():
                X[missing, j] = np.nan
        else:
            return None
    if stored is not None and n_cat != len(stored):
        return None
    return X


def predict_columns(learner: Any, columns: Sequence[Any], *, proba: bool,
                    raw_score: bool = False) -> Any:
    """``learner.predict_proba(frame)`` (``proba=True``) or ``learner.predict(frame)``
    for the DataFrame ``frame`` holding ``columns`` in order, without building it.

    ``columns`` are 1-D numpy arrays of a numeric dtype or ``pandas.Categorical``, in
    the learner's feature order; ``raw_score`` is passed on as LightGBM's own keyword.
    Returns the same array, bit for bit, or ``None`` when a precondition of this path
    does not hold (listed in the module docstring): the caller then predicts from the
    DataFrame. Errors of ``Booster.predict`` itself (a wrong number of columns) are
    raised as LightGBM raises them.
    """
    if not columns:
        return None
    lightgbm = _supported(learner)
    if lightgbm is None:
        return None
    classifier = isinstance(learner, lightgbm.LGBMClassifier)
    if proba and not classifier:
        return None
    multiclass = getattr(learner, "_LGBMClassifier__is_multiclass", None) if classifier else False
    if not isinstance(multiclass, bool):
        return None
    state = _state(learner)
    params = _predict_params(learner, state)
    if params is None:
        return None
    booster = learner.booster_
    X = _matrix(columns, getattr(booster, "pandas_categorical", None), state)
    if X is None:
        return None
    result = booster.predict(X, raw_score=raw_score, start_iteration=0, num_iteration=None,
                             pred_leaf=False, pred_contrib=False, validate_features=False,
                             **params)
    if not classifier:
        return result
    import numpy as np

    # LGBMClassifier.predict_proba, then predict, as LightGBM writes them.
    if not (multiclass or raw_score):
        result = np.vstack((1.0 - result, result)).transpose()
    if proba or raw_score:
        return result
    return learner._le.inverse_transform(np.argmax(result, axis=1))


def predict_dataframe(learner: Any, frame: Any, *, proba: bool) -> Any:
    """:func:`predict_columns` for a DataFrame's columns (in its order): the same as
    ``learner.predict_proba(frame)`` / ``learner.predict(frame)``, or ``None`` (take the
    DataFrame path) for anything but a LightGBM estimator, a frame with duplicate column
    names, or a column whose dtype is not a plain numpy number or ``category``
    (LightGBM converts nullable ``Int64``/``boolean`` columns its own way)."""
    if type(learner).__name__ not in _CLASSES or not hasattr(frame, "dtypes"):
        return None
    if frame.columns.has_duplicates or frame.shape[1] == 0:
        return None
    import numpy as np

    columns = []
    for i, dtype in enumerate(frame.dtypes.tolist()):
        if isinstance(dtype, np.dtype):
            if dtype.kind not in "biuf":
                return None
            columns.append(frame.iloc[:, i].to_numpy())
        elif getattr(dtype, "name", "") == "category":
            columns.append(frame.iloc[:, i].array)
        else:
            return None
    return predict_columns(learner, columns, proba=proba)
