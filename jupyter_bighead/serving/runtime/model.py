"""A registered model ready to serve: loaded once, its request schema precomputed.

Predictions are exactly those of batch scoring (:func:`...models.predict.predict_frame`):
the probability of the positive class for a binary classifier, ``predict`` otherwise.
For a LightGBM model on numeric inputs there is a fast path that skips pandas: the
rows become one numpy array of the dtype LightGBM itself would convert the DataFrame
to (``np.result_type`` of the column dtypes and float32, as in
``lightgbm.basic._data_from_pandas``), and ``Booster.predict`` gets it directly. The
tests check that both paths give bit-identical results.

Threads: LightGBM keeps its thread count in a process-wide variable that every predict
call sets from its ``num_threads``. Two concurrent calls with different counts size a
per-thread buffer for one and run the other's team over it, a SIGSEGV. So a serving
process has one policy: every prediction runs on one OpenMP thread (``num_threads=1``
here, and :func:`pin_lightgbm_threads` caps the whole process, pipelines' learners
included), and a batch of more than ``CHUNK_ROWS`` rows is split across a pool of
Python threads instead (LightGBM releases the GIL; each row's result does not depend
on how the rows are split).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import jupyter_bighead.predlog as predlog

from ...errors import BigheadError, InvalidSpec
from .fastcheck import MatrixCheck
from .schema import InputField, RequestError, Schema, fields_from

if TYPE_CHECKING:
    from ...registry import ModelVersion, Registry

_logger = logging.getLogger("jupyter_bighead.serving")
_V2_TYPES = {"float": "FP64", "int": "INT64", "bool": "BOOL", "string": "BYTES",
             "datetime": "BYTES", "any": "FP64"}


#: Batches above this many rows are split across the prediction pool.
CHUNK_ROWS = 1024

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _is_lightgbm(model: Any) -> bool:
    return any(c.__module__.split(".")[0] == "lightgbm" for c in type(model).__mro__)


def _cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _prediction_pool() -> ThreadPoolExecutor:
    """One pool per process, made on first use (so a forked worker makes its own)."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(_cores(), thread_name_prefix="bighead-predict")
        return _pool


def pin_lightgbm_threads() -> bool:
    """Cap every LightGBM call of this process at one OpenMP thread.

    Mixed ``num_threads`` across concurrent predictions crash LightGBM (see the module
    docstring); the cap makes every call agree, including those the server does not make
    itself (a pipeline's learner, an sklearn wrapper's ``n_jobs``). Uses the C API's
    ``LGBM_SetMaxThreads`` (LightGBM 4.2+); returns whether the cap is in place. Call it
    once, in a process that only serves.
    """
    import ctypes

    from lightgbm.basic import _LIB

    setter = getattr(_LIB, "LGBM_SetMaxThreads", None)
    if setter is None:  # older LightGBM: the fast path still passes num_threads=1
        return False
    return int(setter(ctypes.c_int(1))) == 0


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
    #: The fast path: rows (or the float64 matrix of :attr:`_check`) -> (matrix, scores).
    _fast: Callable[[Any], tuple[Any, Any]] | None = field(default=None, repr=False)
    #: Column-at-a-time request checks, when the fast path's matrix is float64.
    _check: MatrixCheck | None = field(default=None, repr=False)
    #: Whether the log gets the fast path's matrix itself (every field a float).
    _log_matrix: bool = field(default=False, repr=False)
    #: The prediction log (:class:`~...predlog.PredictionLog`) when it is on, else None.
    log: Any = field(default=None, repr=False)
    #: Features a pipeline looks up (``FeatureLookup``) that requests do not carry:
    #: logged after the request's columns, as the learner saw them.
    looked_up: tuple[str, ...] = field(default=(), repr=False)

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
        served.looked_up = predlog.looked_up_features(model, served.schema.names)
        return served

    @property
    def log_columns(self) -> list[str]:
        """The columns of this model's prediction log: the request's fields, then the
        features looked up for it (:attr:`looked_up`)."""
        return [*self.schema.names, *self.looked_up]

    # -- predicting --------------------------------------------------------------------
    @property
    def fast(self) -> bool:
        """Whether predictions skip pandas (microseconds for a few rows)."""
        return self._fast is not None

    def _fast_path(self) -> Callable[[Any], tuple[Any, Any]] | None:
        """``booster.predict`` on a numpy array, when that equals the pandas path (and,
        when that array is float64, the column checks of :mod:`.fastcheck`)."""
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

        def one(X: Any) -> Any:
            # Always one OpenMP thread (never a mix: see the module docstring).
            return predict(X, num_threads=1)

        def fast(rows: Any) -> tuple[Any, Any]:
            X = rows if type(rows) is np.ndarray else np.array(rows, dtype=target)
            parts = min(_cores(), -(-len(X) // CHUNK_ROWS))
            if parts <= 1:
                return X, one(X)
            return X, np.concatenate(list(_prediction_pool().map(one,
                                                                 np.array_split(X, parts))))

        if target == np.float64:
            self._check = MatrixCheck.for_fields(self.schema.fields, self.schema.allow_missing)
            self._log_matrix = self._check is not None and self._check.all_float
        return fast

    # -- checking requests -------------------------------------------------------------
    def _matrix_check(self) -> MatrixCheck | None:
        # With the log on, a schema with integer or boolean fields logs the rows, whose
        # values keep their types (a matrix would log them as floats).
        check = self._check
        if check is None or (self.log is not None and not self._log_matrix):
            return None
        return check

    def checked_instances(self, instances: Any, where: str = "instances") -> Any:
        """KServe v1 ``instances`` checked (:meth:`.schema.Schema.rows_from_instances`,
        whose errors these are): the rows, or on the fast path the float64 matrix of
        the same values, checked a column at a time (:mod:`.fastcheck`)."""
        check = self._matrix_check()
        X = check.from_instances(instances) if check is not None else None
        return X if X is not None else self.schema.rows_from_instances(instances, where)

    def checked_columns(self, columns: Any, where: str = "inputs") -> Any:
        """Column-oriented ``inputs`` checked as :meth:`checked_instances` checks rows
        (:meth:`.schema.Schema.rows_from_columns`, whose errors these are)."""
        check = self._matrix_check()
        X = check.from_columns(columns) if check is not None else None
        return X if X is not None else self.schema.rows_from_columns(columns, where)

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
        """Predictions for a DataFrame: what batch scoring computes (the one rule,
        :func:`...models.predict.predict_frame`)."""
        from ...models.predict import predict_frame

        return predict_frame(self.model, self.mv, frame)

    def predict_rows(self, rows: Any) -> list[Any]:
        """Predictions for checked rows (or the matrix :meth:`checked_instances` may
        give), as plain JSON-able values.

        With the prediction log on, the rows are logged with their scores, and for a
        pipeline that looks features up, with those features too (see
        :meth:`predict_looked_up`)."""
        logged = rows
        if self._fast is not None:
            X, out = self._fast(rows)
            if self._log_matrix:
                logged = X  # the request's values as the model saw them, no Python loop
        elif self.log is not None and self.looked_up:
            frame = self.frame(rows)
            try:
                out, features = self.predict_looked_up(frame)
                # each row's request values, then its looked-up features (new lists:
                # the caller's rows are left alone)
                logged = [[*r, *f] for r, f in zip(rows, zip(*features, strict=True),
                                                   strict=True)]
            except BigheadError:
                raise  # the input's refusal, the same as without the log
            except Exception as exc:  # the log never fails a request: predict without it
                _logger.warning("%s v%s: looked-up features not logged (%s: %s)",
                                self.name, self.version, type(exc).__name__, exc)
                out = self.predict_frame(frame)
                logged = [[*r, *([None] * len(self.looked_up))] for r in rows]
        else:
            out = self.predict_frame(self.frame(rows))
        if self.log is not None:
            self.log.log(logged, out)  # a queue append; never raises for I/O (predlog)
        return out.tolist() if hasattr(out, "tolist") else list(out)

    def predict_looked_up(self, frame: Any) -> tuple[Any, list[list[Any]]]:
        """A pipeline's predictions for ``frame`` and, per :attr:`looked_up` feature,
        its values as the learner saw them (plain Python values).

        One pass: the pipeline's ``transform`` (the learner's input, its lookups done
        once) then the one prediction rule (:func:`...models.predict.predict_frame`) on
        the learner, which is what the pipeline's own ``predict_proba``/``predict``
        computes (the tests check the two are bit-identical). Raises as those do.
        """
        from ...models.predict import predict_frame

        seen = self.model.transform(frame)
        out = predict_frame(self.model.learner, _LearnerSpec(self.mv.task), seen)
        return out, [seen[name].tolist() for name in self.looked_up]

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


@dataclass(frozen=True)
class _LearnerSpec:
    """The prediction rule's view of a pipeline's learner: the version's task, and
    the columns it is given (no recorded schema)."""

    task: str
    input_schema: tuple[tuple[str, str], ...] = ()


def _series(pd: Any, f: InputField, values: list[Any]) -> Any:
    kind = f.kind
    try:
        if kind == "datetime":
            stamps = _to_datetime(pd, pd.Series(values, dtype=object))
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
        raise RequestError("wrong_type", f"feature {f.name!r}: {_first_sentence(exc)}",
                           field=f.name) from None


def _first_sentence(exc: Exception) -> str:
    """What pandas says is wrong, without the advice to its programmer that follows
    ("You might want to try: - passing `format`..." over several lines)."""
    text = str(exc).split(" You might want to try", 1)[0]
    return (text.splitlines() or [type(exc).__name__])[0].strip()


def _to_datetime(pd: Any, values: Any) -> Any:
    """Date-times from request strings: ISO 8601 by pandas' C parser (linear in the
    length), else pandas' format guessing, which is quadratic in the length of a string,
    so it only ever sees strings the schema has capped (``MAX_DATETIME_CHARS``)."""
    try:
        return pd.to_datetime(values, format="ISO8601")
    except (ValueError, TypeError):
        return pd.to_datetime(values)
