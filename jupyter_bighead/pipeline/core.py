"""``Pipeline``: blocks routed over columns, then a LightGBM learner.

Each step applies to its own columns and passes the rest through, so a list of
steps is a DAG: ``Impute(columns=num)`` and ``CategoryEncode(columns=cat)`` are
two branches that meet again at the learner. :meth:`Pipeline.describe` returns that
graph as plain data (what the Blocks panel draws).

The same object trains (``fit``), scores batches (``predict_proba`` on a
DataFrame) and serves requests (``predict_proba`` on a one-row frame or a dict):
one code path, so the three cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

import jupyter_bighead.models.lgbm_fast as lgbm_fast

from .._json import json_safe
from ..errors import BlockInputError, InvalidSpec
from .base import Block, Columns, columns_to_frame, frame_to_columns, kind_of
from .params import block_params
from .times import parse_datetimes as _parse_datetimes

#: The format of :meth:`Pipeline.describe`'s graph.
DESCRIBE_FORMAT = 1
#: What the learner itself is assumed to need when no block asks for more.
LEARNER_RESOURCES = {"cpu": "1", "memory": "1Gi", "gpu": 0}
_RESOURCE_KEYS = ("cpu", "memory", "gpu")


class Pipeline(BaseEstimator):
    """Blocks applied in order, each to its columns, then ``learner``.

    Parameters
    ----------
    steps
        :class:`~jupyter_bighead.pipeline.Block` instances, applied in order.
    learner
        A LightGBM scikit-learn estimator (``LGBMClassifier`` / ``LGBMRegressor``);
        ``None`` makes a transform-only pipeline.
    resource_overrides
        ``{"cpu": …, "memory": …, "gpu": …}`` replacing what the blocks declare (see
        :meth:`resources`).

    Input may be a DataFrame, a mapping of column to scalar (one row) or to a list
    (columns), or a list of such row mappings. Columns not seen at fit are ignored.
    """

    def __init__(self, steps: Sequence[Block] = (), learner: Any = None,
                 resource_overrides: Mapping[str, Any] | None = None) -> None:
        self.steps = steps
        self.learner = learner
        self.resource_overrides = resource_overrides

    # ---- input ------------------------------------------------------------------
    def _columns(self, X: Any, fitting: bool = False) -> tuple[Columns, Any]:
        """The raw input as columns (only the fitted input columns after fit), and the
        index to give a DataFrame output."""
        import pandas as pd

        if hasattr(X, "columns") and hasattr(X, "dtypes"):
            if X.columns.has_duplicates:
                raise InvalidSpec("Pipeline input has duplicate column names")
            names = None if fitting else [str(s["name"]) for s in self.input_spec_]
            return frame_to_columns(X, names), X.index
        if isinstance(X, Mapping):
            cols: Columns = {}
            for k, v in X.items():
                arr = np.asarray(v if isinstance(v, list | tuple | np.ndarray) else [v])
                cols[str(k)] = arr.astype(object) if arr.dtype.kind in "US" else arr
            if fitting:
                return cols, None
            return {c: cols[c] for c in self.feature_names_in_ if c in cols}, None
        if isinstance(X, list) and X and isinstance(X[0], Mapping):
            return self._columns(pd.DataFrame(X), fitting)
        raise InvalidSpec(f"Pipeline input must be a DataFrame, a mapping or a list of "
                          f"row mappings, not {type(X).__name__}")

    def _coerce(self, cols: Columns) -> Columns:
        """Check raw columns against the fitted input; parse date-times sent as text."""
        for spec in self.input_spec_:
            name, dtype = str(spec["name"]), str(spec["dtype"])
            if name not in cols:
                if spec["required"]:
                    raise BlockInputError(self._consumer(name), name, dtype,
                                          "is missing from the input")
                continue
            values = cols[name]
            fitted, now = self.input_kinds_[name], kind_of(values)
            if fitted == now or (fitted in ("string", "object", "category")
                                 and now in ("string", "object", "category")):
                continue
            if fitted == "datetime" and now in ("string", "object"):
                cols[name] = _parse_datetimes(self._consumer(name), name, values)
            elif fitted == "numeric" and now == "object":
                try:
                    cols[name] = np.asarray(values, dtype=np.float64)
                except (TypeError, ValueError):
                    raise BlockInputError(self._consumer(name), name, dtype,
                                          f"has dtype {values.dtype}") from None
            else:
                raise BlockInputError(self._consumer(name), name, dtype,
                                      f"has dtype {getattr(values, 'dtype', '?')}")
        return cols

    def _consumer(self, column: str) -> str:
        """The first step routed to a raw column (the learner when none is)."""
        for step in self.steps:
            if column in getattr(step, "columns_", ()):
                return step.block_name
        return f"learner {type(self.learner).__name__}" if self.learner is not None else "Pipeline"

    # ---- fitting ----------------------------------------------------------------
    def fit(self, X: Any, y: Any = None, **fit_params: Any) -> Pipeline:
        """Fit every step on the output of the previous ones, then the learner.

        ``fit_params`` go to the learner's ``fit``. Returns ``self``.

        Raises
        ------
        BlockInputError
            A step's column is missing, of the wrong dtype, or null where it must not be.
        InvalidSpec
            A step that is not a :class:`Block`, or bad step parameters.
        """
        for i, step in enumerate(self.steps):
            if not isinstance(step, Block):
                raise InvalidSpec(f"step {i} is a {type(step).__name__}, not a pipeline Block")
        cols, index = self._columns(X, fitting=True)
        if not cols:
            raise InvalidSpec("Pipeline.fit: the input has no columns")
        if len(next(iter(cols.values()))) == 0:
            raise InvalidSpec("Pipeline.fit: the input has no rows")
        raw = dict(cols)
        optional: set[str] = set()
        for step in self.steps:
            step._fit_named(cols, y)
            optional |= {c for c in step._optional_columns() if c in raw}
            cols = step._transform_columns(cols)
        self.feature_names_in_ = np.asarray(list(raw), dtype=object)
        self.n_features_in_ = len(raw)
        self.input_kinds_ = {c: kind_of(v) for c, v in raw.items()}
        frame_dtypes = ({str(c): str(t) for c, t in X.dtypes.items()}
                        if hasattr(X, "dtypes") and hasattr(X, "columns") else {})
        self.input_spec_ = [
            {"name": c, "dtype": frame_dtypes.get(c, str(getattr(v, "dtype", "object"))),
             "required": c not in optional}
            for c, v in raw.items()
        ]
        self.feature_names_out_ = list(cols)
        if self.learner is not None:
            self.learner.fit(columns_to_frame(cols, index), y, **fit_params)
        return self

    # ---- using ------------------------------------------------------------------
    def _transform_columns(self, X: Any) -> tuple[Columns, Any]:
        if not hasattr(self, "input_spec_"):  # sklearn's check_is_fitted costs ~20 us
            check_is_fitted(self, "input_spec_")
        cols, index = self._columns(X)
        cols = self._coerce(cols)
        for step in self.steps:
            cols = step._transform_columns(cols)
        return cols, index

    def transform(self, X: Any) -> Any:
        """The learner's input for ``X``: a DataFrame with :attr:`feature_names_out_`.

        Raises
        ------
        BlockInputError
            Naming the block, the column and the expected type, for a missing column, a
            wrong dtype or nulls in a column a block declared non-null.
        """
        cols, index = self._transform_columns(X)
        return columns_to_frame(cols, index)

    def _learn(self, X: Any, proba: bool) -> Any:
        """The learner's ``predict_proba`` (or ``predict``) of the transformed ``X``.

        A LightGBM learner takes the array path of :mod:`...models.lgbm_fast`: the
        transformed columns go to its booster as one float matrix, categorical codes
        mapped as LightGBM maps them, the same bits as its DataFrame path without the
        DataFrame. Whenever that path's preconditions do not hold (another learner, a
        subclass, a column LightGBM would refuse, categories it cannot remap) the
        learner gets the DataFrame, as before.
        """
        if self.learner is None:
            raise InvalidSpec("this pipeline has no learner; use transform()")
        cols, index = self._transform_columns(X)
        out = lgbm_fast.predict_columns(self.learner, list(cols.values()), proba=proba)
        if out is not None:
            return out
        frame = columns_to_frame(cols, index)
        return self.learner.predict_proba(frame) if proba else self.learner.predict(frame)

    def predict(self, X: Any) -> Any:
        """The learner's predictions for ``X`` (raw input, as at fit).

        For a LightGBM learner, the transformed columns reach its booster without a
        DataFrame, with the same result (see :meth:`_learn`).
        """
        return self._learn(X, proba=False)

    def predict_proba(self, X: Any) -> Any:
        """The learner's class probabilities for ``X`` (classifiers only).

        For a LightGBM learner, the transformed columns reach its booster without a
        DataFrame, with the same result (see :meth:`_learn`).
        """
        if not hasattr(self.learner, "predict_proba"):
            raise InvalidSpec(f"the learner {type(self.learner).__name__} has no predict_proba")
        return self._learn(X, proba=True)

    @property
    def classes_(self) -> Any:
        return self.learner.classes_

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        check_is_fitted(self, "input_spec_")
        return np.asarray(self.feature_names_out_, dtype=object)

    def _bighead_evaluation_view(self, X: Any) -> tuple[Any, Any]:
        """For :func:`~jupyter_bighead.evaluation.evaluate`: the learner, and ``X`` as the
        learner sees it (importance and SHAP are about the transformed columns)."""
        return self.learner, self.transform(X)

    def feature_refs(self) -> list[str]:
        """The feature-store features the fitted steps look up, pinned, in the stored
        ``name@version`` form (see :func:`jupyter_bighead.refs.stored_feature_ref`)."""
        return [ref for step in self.steps for ref in getattr(step, "refs_", [])]

    # ---- declarations -------------------------------------------------------------
    def input_spec(self) -> list[dict[str, Any]]:
        """The raw columns a request must carry: ``[{"name", "dtype", "required"}]``.

        A :class:`FeatureLookup`'s timestamp column is not required (absent means now);
        the features it looks up are not inputs at all.
        """
        if not hasattr(self, "input_spec_"):  # sklearn's check costs ~20 us per request
            check_is_fitted(self, "input_spec_")
        return [dict(s) for s in self.input_spec_]

    def resources(self, cpu: Any = None, memory: Any = None, gpu: int | None = None
                  ) -> dict[str, Any]:
        """What one process running this pipeline needs: ``{"cpu", "memory", "gpu"}``.

        Derived as the maximum over the steps' declared resources and the learner's
        (:data:`LEARNER_RESOURCES`): steps run one after the other in one process, so
        the largest need bounds the whole. ``cpu``/``memory`` are Kubernetes quantities,
        ``gpu`` a count. Keywords override (and the override is saved with the
        pipeline), as does ``resource_overrides``.

        Raises
        ------
        InvalidSpec
            For an override that is not a quantity (or a negative GPU count).
        """
        from ..resources import parse_quantity

        given = {k: v for k, v in (("cpu", cpu), ("memory", memory), ("gpu", gpu))
                 if v is not None}
        if given:
            self.resource_overrides = {**dict(self.resource_overrides or {}), **given}
        wanted = [LEARNER_RESOURCES, *(type(s).resources for s in self.steps)]
        out: dict[str, Any] = {}
        for key in ("cpu", "memory"):
            quantities = [str(w.get(key, "0")) for w in wanted]
            sizes = [parse_quantity(q, f"block {key}") for q in quantities]
            out[key] = quantities[sizes.index(max(sizes))]
        out["gpu"] = max(int(w.get("gpu", 0)) for w in wanted)
        overrides = dict(self.resource_overrides or {})
        unknown = set(overrides) - set(_RESOURCE_KEYS)
        if unknown:
            raise InvalidSpec(f"resources may set cpu, memory and gpu, not {sorted(unknown)}")
        for key in ("cpu", "memory"):
            if key in overrides:
                parse_quantity(overrides[key], f"resource {key}")
                out[key] = str(overrides[key])
        if "gpu" in overrides:
            g = overrides["gpu"]
            if isinstance(g, bool) or not isinstance(g, int) or g < 0:
                raise InvalidSpec(f"gpu must be a whole number >= 0, not {g!r}")
            out["gpu"] = g
        return out

    def describe(self) -> dict[str, Any]:
        """The pipeline as a graph of plain data.

        ``nodes``: ``{"id", "kind": "input"|"block"|"learner", "name", "params",
        "columns", "outputs"}``; ``edges``: ``{"source", "target", "columns"}`` (which
        columns flow along it). Before fit the columns are the declared ones and the
        edges simply chain the steps.
        """
        fitted = hasattr(self, "input_spec_")
        nodes: list[dict[str, Any]] = [{
            "id": "input", "kind": "input", "name": "input",
            "columns": [s["name"] for s in self.input_spec_] if fitted else None,
        }]
        edges: list[dict[str, Any]] = []
        producer = {s["name"]: "input" for s in self.input_spec_} if fitted else {}
        previous = "input"
        for i, step in enumerate(self.steps):
            node_id = f"step{i}"
            routed = list(getattr(step, "columns_", None) or (step.columns or [])) \
                if fitted else (None if step.columns is None else list(step.columns))
            outputs = None
            if fitted:
                names = list(step.names_in_)
                outputs = step._names_for([c for c in names if c in set(step.columns_)])
                flows: dict[str, list[str]] = {}
                for c in step.columns_:
                    flows.setdefault(producer.get(c, "input"), []).append(c)
                edges += [{"source": s, "target": node_id, "columns": c} for s, c in flows.items()]
                after = step._assemble_names(names)
                producer = {c: producer.get(c, "input") for c in after}
                producer.update({c: node_id for c in outputs})
            else:
                edges.append({"source": previous, "target": node_id, "columns": routed})
            nodes.append({"id": node_id, "kind": "block", "name": step.block_name,
                          "params": block_params(step), "columns": routed, "outputs": outputs,
                          "resources": dict(type(step).resources)})
            previous = node_id
        if self.learner is not None:
            nodes.append({"id": "learner", "kind": "learner",
                          "name": type(self.learner).__name__,
                          "params": json_safe(self.learner.get_params(), style="params"),
                          "columns": list(self.feature_names_out_) if fitted else None,
                          "outputs": None})
            if fitted:
                flows = {}
                for c in self.feature_names_out_:
                    flows.setdefault(producer.get(c, "input"), []).append(c)
                edges += [{"source": s, "target": "learner", "columns": c}
                          for s, c in flows.items()]
            else:
                edges.append({"source": previous, "target": "learner", "columns": None})
        return {"format": DESCRIBE_FORMAT, "fitted": fitted, "nodes": nodes, "edges": edges,
                "resources": self.resources(),
                "input_spec": self.input_spec() if fitted else None}
