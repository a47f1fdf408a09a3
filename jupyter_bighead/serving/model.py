"""A registered model ready to serve: loaded once, its request schema precomputed.

Predictions are exactly those of batch scoring (:func:`..jobs.scoring.predict_frame`):
the probability of the positive class for a binary classifier, ``predict`` otherwise.
For a LightGBM model on numeric inputs there is a fast path that skips pandas: the
rows become one numpy array of the dtype LightGBM itself would convert the DataFrame
to (``np.result_type`` of the column dtypes and float32, as in
``lightgbm.basic._data_from_pandas``), and ``Booster.predict`` gets it directly. The
tests check that both paths give bit-identical results.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import InvalidSpec
from .schema import InputField, RequestError, Schema, fields_from

if TYPE_CHECKING:
    from ..registry import ModelVersion, Registry

_V2_TYPES = {"float": "FP64", "int": "INT64", "bool": "BOOL", "string": "BYTES",
             "datetime": "BYTES", "any": "FP64"}


def _is_lightgbm(model: Any) -> bool:
    return any(c.__module__.split(".")[0] == "lightgbm" for c in type(model).__mro__)


@dataclass
class ServedModel:
    """One loaded model version and how to call it.

    Use :meth:`load`; ``predict_rows`` takes rows already checked by ``schema``.
    """

    name: str
    version: int
    alias: str | None
    mv: ModelVersion
    model: Any
    schema: Schema
    platform: str
    _fast: Callable[[list[list[Any]]], Any] | None = field(default=None, repr=False)

    @classmethod
    def load(cls, registry: Registry, name: str, version: int | None = None,
             alias: str | None = None, *, extra: str = "reject",
             allow_missing: bool = True) -> ServedModel:
        """Resolve ``name`` (by version, alias, or latest) and load it.

        Raises ``NotFound``, ``IntegrityError`` or ``InvalidSpec`` as the registry does.
        """
        mv = registry.get(name, version, alias=alias)
        model = registry.load(name, mv.version)
        spec_fn = getattr(model, "input_spec", None)
        spec = spec_fn() if callable(spec_fn) else None
        fields = fields_from(spec, mv.input_schema)
        if not fields:
            raise InvalidSpec(f"{name} v{mv.version} records no input schema; register it "
                              "with X_valid (a DataFrame) so the server knows its inputs")
        platform = "lightgbm" if _is_lightgbm(model) else (
            "bighead-pipeline" if spec is not None else type(model).__module__.split(".")[0])
        served = cls(name=mv.name, version=mv.version, alias=alias, mv=mv, model=model,
                     schema=Schema(fields, extra=extra, allow_missing=allow_missing),
                     platform=platform)
        served._fast = served._fast_path()
        return served

    # -- predicting --------------------------------------------------------------------
    def _fast_path(self) -> Callable[[list[list[Any]]], Any] | None:
        """``booster.predict`` on a numpy array, when that equals the pandas path."""
        model, task = self.model, self.mv.task
        if not _is_lightgbm(model) or task not in ("binary", "regression"):
            return None
        if any(f.kind not in ("float", "int", "bool") or not f.required
               for f in self.schema.fields):
            return None
        import lightgbm
        import numpy as np

        if isinstance(model, lightgbm.Booster):
            booster = model
        elif type(model).__name__ in ("LGBMClassifier", "LGBMRegressor"):
            # LGBMClassifier.predict_proba(X)[:, 1] is exactly booster.predict(X) for a
            # binary objective; LGBMRegressor.predict is booster.predict.
            booster = model.booster_
        else:
            return None
        names = [n for n, _d in self.mv.input_schema]
        if names and names != [f.name for f in self.schema.fields]:
            return None
        dtypes = [np.dtype(f.dtype).type for f in self.schema.fields]
        target = np.result_type(*dtypes, np.float32)
        predict = booster.predict

        def fast(rows: list[list[Any]]) -> Any:
            # A few rows: one thread. OpenMP fan-out costs more than it saves there and
            # its spinning threads steal the cores other requests need. Each row's
            # result does not depend on the thread count.
            if len(rows) <= 64:
                return predict(np.array(rows, dtype=target), num_threads=1)
            return predict(np.array(rows, dtype=target))

        return fast

    def frame(self, rows: list[list[Any]]) -> Any:
        """The rows as a DataFrame with the schema's dtypes (absent optional columns
        left out)."""
        import pandas as pd

        columns: dict[str, Any] = {}
        for j, f in enumerate(self.schema.fields):
            values = [r[j] for r in rows]
            if not f.required and all(v is None for v in values):
                continue
            columns[f.name] = _series(pd, f, values)
        return pd.DataFrame(columns)

    def predict_frame(self, frame: Any) -> Any:
        """Predictions for a DataFrame: what batch scoring computes."""
        model = self.model
        if callable(getattr(model, "input_spec", None)):  # a pipeline takes raw columns
            if self.mv.task == "binary" and hasattr(model, "predict_proba"):
                proba = model.predict_proba(frame)
                return proba[:, 1] if getattr(proba, "ndim", 1) == 2 else proba
            return model.predict(frame)
        from ..jobs.scoring import predict_frame

        return predict_frame(model, self.mv, frame)

    def predict_rows(self, rows: list[list[Any]]) -> list[Any]:
        """Predictions for checked rows, as plain JSON-able values."""
        if self._fast is not None:
            out = self._fast(rows)
        else:
            out = self.predict_frame(self.frame(rows))
        return out.tolist() if hasattr(out, "tolist") else list(out)

    # -- describing ----------------------------------------------------------------------
    def metadata(self) -> dict[str, Any]:
        """The Open Inference Protocol v2 model metadata, plus the registry's record."""
        return {
            "name": self.name,
            "versions": [str(self.version)],
            "platform": self.platform,
            "inputs": [{"name": f.name, "datatype": _V2_TYPES[f.kind], "shape": [-1],
                        "parameters": {"dtype": f.dtype, "required": f.required}}
                       for f in self.schema.fields],
            "outputs": [{"name": "predictions", "datatype": "FP64", "shape": [-1]}],
            "parameters": {"version": self.version, "alias": self.alias, "task": self.mv.task,
                           "flavor": self.mv.flavor, "model_class": self.mv.model_class,
                           "input_schema": [f.to_dict() for f in self.schema.fields]},
        }

    def resources(self) -> dict[str, Any] | None:
        fn = getattr(self.model, "resources", None)
        return dict(fn()) if callable(fn) else None


def _series(pd: Any, f: InputField, values: list[Any]) -> Any:
    kind = f.kind
    try:
        if kind == "datetime":
            stamps = pd.to_datetime(pd.Series(values, dtype=object))
            try:  # the recorded unit (pandas 3 parses text to microseconds)
                return stamps.astype(f.dtype)
            except (TypeError, ValueError):
                return stamps
        if kind == "string":
            return pd.Series(values, dtype=f.dtype if f.dtype == "category" else object)
        if kind == "any":
            return pd.Series(values, dtype="float64")
        return pd.Series(values, dtype=f.dtype)
    except (ValueError, TypeError, OverflowError) as exc:
        raise RequestError("wrong_type", f"feature {f.name!r}: {exc}", field=f.name) from None
