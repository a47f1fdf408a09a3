"""``Block``: the base of every pipeline block, and the column-dict data path.

A block is a scikit-learn transformer (``fit`` / ``transform`` /
``get_feature_names_out`` / ``set_output``) that applies to the columns it is
routed to (``columns``; ``None`` means every column) and passes the others
through unchanged. Inside a :class:`~jupyter_bighead.pipeline.Pipeline` blocks
exchange a ``dict`` of column name to 1-D array (numpy arrays, or
``pandas.Categorical`` for encoded categories) instead of DataFrames: that keeps
the per-call overhead of a one-row request to a few microseconds per block and lets
a million-row batch go through without copies.

A subclass implements :meth:`Block._fit` (learn state from the routed columns) and
:meth:`Block._apply` (routed columns in, new columns out), and may override
:meth:`Block._names_for` when a column yields other or several output columns.
Fitted state lives in public attributes ending in ``_`` holding JSON data or numpy
arrays; that is what the registry stores (never a pickle).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from ..errors import BlockInputError, InvalidSpec

if TYPE_CHECKING:
    import pandas as pd

Columns = dict[str, Any]
"""Column name to 1-D array (numpy, or ``pandas.Categorical``); insertion order is
column order."""

#: What a block may require of the columns it is routed to.
KINDS = {
    "numeric": "a numeric dtype (int, float or bool)",
    "datetime": "a datetime64 dtype",
    "any": "any dtype",
}


def kind_of(values: Any) -> str:
    """The coarse kind of a column: numeric, datetime, category, string or object."""
    dtype = getattr(values, "dtype", None)
    if dtype is None:
        return "object"
    if not isinstance(dtype, np.dtype) and getattr(dtype, "name", "") == "category":
        return "category"
    k = getattr(dtype, "kind", "O")
    if k in "biuf":
        return "numeric"
    if k == "M":
        return "datetime"
    if k in "US":
        return "string"
    return "object"


def null_mask(values: Any) -> np.ndarray:
    """Boolean mask of the null entries of a column (NaN, None, NaT)."""
    dtype = getattr(values, "dtype", None)
    kind = getattr(dtype, "kind", "O")
    if kind == "f":
        return np.isnan(values)
    if kind in "biuUS":
        return np.zeros(len(values), dtype=bool)
    if kind == "M":
        return np.isnat(values)
    import pandas as pd

    return np.asarray(pd.isna(values), dtype=bool)


def column_array(s: pd.Series) -> Any:
    """One column as an array, without copying numeric data.

    Nullable extension types become float64 with NaN; time-zone aware timestamps
    become their wall-clock time (what date parts are about); categoricals stay
    ``pandas.Categorical`` and pandas' ``str`` columns their own array; other text
    becomes an object array.
    """
    dtype = s.dtype
    kind = getattr(dtype, "kind", "O")
    if isinstance(dtype, np.dtype):
        return s.to_numpy()
    if dtype.name in ("category", "str"):
        # Categoricals and pandas' (Arrow-backed) text stay as they are: converting text
        # to Python objects costs more than the encoding that follows.
        return s.array
    if kind == "M":  # datetime64 with a time zone
        return s.dt.tz_localize(None).to_numpy()
    if kind in "biuf":  # nullable Int64 / Float64 / boolean
        return s.to_numpy(dtype=np.float64, na_value=np.nan)
    return s.to_numpy(dtype=object)  # str, object and other extension types


#: Frames with at most this many rows take the per-row fast paths: selecting a pandas
#: column costs ~10 us, more than a whole block's work on one row.
SMALL_ROWS = 16


def frame_to_columns(X: pd.DataFrame, names: Sequence[str] | None = None) -> Columns:
    """The columns of a DataFrame (or only ``names``, those present) as arrays (see
    :func:`column_array`)."""
    columns = [str(c) for c in X.columns.tolist()]
    position = {c: i for i, c in enumerate(columns)}
    wanted = columns if names is None else [c for c in names if c in position]
    by_position = _block_rows(X) if len(X) <= SMALL_ROWS else {}
    out: Columns = {}
    for name in wanted:
        i = position[name]
        values = by_position.get(i)
        out[name] = values if values is not None else column_array(X.iloc[:, i])
    return out


def _block_rows(X: pd.DataFrame) -> dict[int, Any]:
    """Column position to array, read from the frame's internal 2-D blocks.

    Why: for a one-row request, selecting 20 columns one by one is most of the cost of
    the whole pipeline. Each block is a (columns x rows) array, so its rows are the
    columns, as views. Only plain numpy dtypes and text are taken from here; anything
    else (and any pandas whose internals differ) goes through :func:`column_array`,
    which gives the same values.
    """
    out: dict[int, Any] = {}
    try:
        blocks = X._mgr.blocks
        for blk in blocks:
            locs = blk.mgr_locs.as_array
            dtype = blk.dtype
            if isinstance(dtype, np.dtype):
                arr = np.asarray(blk.values)
                if arr.ndim == 2 and arr.shape[0] == len(locs):
                    for j, loc in enumerate(locs.tolist()):
                        row = arr[j]
                        row.flags.writeable = False  # as Series.to_numpy() gives: a view
                        out[loc] = row
            elif getattr(dtype, "name", "") == "str" and len(locs) == 1:
                out[int(locs[0])] = blk.values
    except (AttributeError, TypeError, ValueError):
        return {}
    return out


def columns_to_frame(cols: Columns, index: Any = None) -> pd.DataFrame:
    """A DataFrame holding ``cols`` (not copied)."""
    import pandas as pd

    n = len(next(iter(cols.values()))) if cols else 0
    from_arrays = getattr(pd.DataFrame, "_from_arrays", None)
    if n <= SMALL_ROWS and from_arrays is not None:
        # The public constructor re-checks every column (~7 us each), which is most of
        # a one-row request; the arrays here are already 1-D and of equal length.
        try:
            return from_arrays(list(cols.values()), columns=pd.Index(list(cols), dtype=object),
                               index=index if index is not None else pd.RangeIndex(n),
                               verify_integrity=False)
        except (TypeError, ValueError):  # a pandas whose private helper changed
            pass
    return pd.DataFrame(cols, index=index, copy=False)


def columns_to_array(cols: Columns) -> np.ndarray:
    """A 2-D array of the columns (categoricals as float codes, NaN for missing)."""
    arrays = []
    for values in cols.values():
        if getattr(values, "dtype", None) is not None and values.dtype.name == "category":
            codes = values.codes.astype(np.float64)
            codes[codes < 0] = np.nan
            values = codes
        arrays.append(np.asarray(values))
    if not arrays:
        return np.empty((0, 0))
    if all(a.dtype.kind in "biuf" for a in arrays):
        return np.column_stack([a.astype(np.float64, copy=False) for a in arrays])
    return np.column_stack([a.astype(object) for a in arrays])


class Block(TransformerMixin, BaseEstimator):
    """Base class of pipeline blocks (see the module docstring)."""

    #: Resources one process running this block needs (Kubernetes quantities; gpu a count).
    resources: ClassVar[dict[str, Any]] = {"cpu": "1", "memory": "1Gi", "gpu": 0}
    #: Who maintains the block, shown in the catalog; empty means "ask the source" (the
    #: package's author, the folder file's owner).
    owner: ClassVar[str] = ""
    #: Version of the block's stored state; bump it when the ``*_`` attributes change
    #: meaning, and a pipeline stored by a newer version will refuse to load.
    state_version: ClassVar[int] = 1
    #: What the routed columns must hold (a key of :data:`KINDS`).
    input_kind: ClassVar[str] = "numeric"
    #: Whether every routed column must be free of nulls.
    non_null: ClassVar[bool] = False
    #: dtype the numpy (non-DataFrame) input is converted to by ``validate_data``.
    _array_dtype: ClassVar[Any] = np.float64

    columns: Sequence[str] | None

    # ---- what subclasses implement ----------------------------------------------
    def _fit(self, cols: Columns, y: Any) -> None:
        """Learn fitted state (``*_`` attributes) from the routed columns."""

    def _apply(self, cols: Columns) -> Columns:  # pragma: no cover - abstract
        """The new columns computed from the routed columns."""
        raise NotImplementedError

    def _stored_params(self) -> dict[str, Any]:
        """The constructor parameters to store (JSON data only)."""
        return self.get_params(deep=False)

    def _after_load(self) -> None:
        """Rebuild derived, unsaved helpers (caches) from the fitted state; overrides
        must call this too."""
        self._position = {c: i for i, c in enumerate(self.columns_)}

    def _numeric(self, cols: Columns) -> tuple[list[int], np.ndarray | None]:
        """Positions of ``cols`` in ``columns_``, and for a few rows the columns stacked
        as one (columns x rows) float matrix: one numpy call per block instead of one per
        column. Elementwise arithmetic gives the same bits either way."""
        position = self._position
        idx = [position[c] for c in cols]
        if cols and len(next(iter(cols.values()))) <= SMALL_ROWS:
            return idx, np.array([as_float(v) for v in cols.values()])
        return idx, None

    def _names_for(self, routed: list[str]) -> list[str]:
        """Output names for the routed columns (default: the same names)."""
        return list(routed)

    def _optional_columns(self) -> set[str]:
        """Routed columns that may be absent at transform time."""
        return set()

    def _non_null_columns(self) -> list[str]:
        """Routed columns that must be free of nulls."""
        return list(self.columns_) if self.non_null else []

    def _expected(self, column: str) -> str:
        """The expected type of ``column``, for error messages."""
        fitted = getattr(self, "dtypes_in_", {}).get(column)
        base = KINDS.get(self.input_kind, self.input_kind)
        return f"{base} (fitted on {fitted})" if fitted else base

    # ---- routing and checks -----------------------------------------------------
    @property
    def block_name(self) -> str:
        return type(self).__name__

    def _route(self, names: list[str]) -> list[str]:
        wanted = getattr(self, "columns", None)
        if wanted is None:
            return list(names)
        if isinstance(wanted, str):
            raise InvalidSpec(f"{self.block_name}: columns must be a list of names, not a "
                              f"string ({wanted!r}); write columns=[{wanted!r}]")
        present = set(names)
        optional = self._optional_columns()
        routed = []
        for c in wanted:
            if c in present:
                routed.append(str(c))
            elif c not in optional:
                raise BlockInputError(self.block_name, str(c), self._expected(str(c)),
                                      "is missing from the input")
        return routed

    def _check_column(self, name: str, values: Any) -> None:
        dtype = getattr(values, "dtype", None)
        if (type(dtype) is np.dtype and self.input_kind in _FAST_KINDS
                and dtype.kind in _FAST_KINDS[self.input_kind]):
            return  # the common case, checked in a few hundred nanoseconds
        kind = kind_of(values)
        expected = self.input_kind
        ok = (expected == "any" or kind == expected
              or (expected == "numeric" and kind == "object" and _numeric_objects(values)))
        fitted = getattr(self, "kinds_in_", {}).get(name)
        if ok and fitted is not None and expected == "any":
            ok = _compatible(fitted, kind)
        if not ok:
            raise BlockInputError(self.block_name, name, self._expected(name),
                                  f"has dtype {getattr(values, 'dtype', type(values).__name__)}")

    def _check_nulls(self, cols: Columns) -> None:
        for name in self._non_null_columns():
            if name in cols:
                mask = null_mask(cols[name])
                if mask.any():
                    row = int(np.flatnonzero(mask)[0])
                    raise BlockInputError(self.block_name, name,
                                          f"non-null {KINDS.get(self.input_kind, '')}".strip(),
                                          f"holds nulls (first at row {row})")

    # ---- the column-dict path (used by Pipeline) ----------------------------------
    def _fit_columns(self, cols: Columns, y: Any = None) -> None:
        names = list(cols)
        routed = self._route(names)
        for c in routed:
            self._check_column(c, cols[c])
        self.columns_ = routed
        self._check_nulls(cols)
        self.names_in_ = names
        self.dtypes_in_ = {c: str(getattr(cols[c], "dtype", "object")) for c in routed}
        self.kinds_in_ = {c: kind_of(cols[c]) for c in routed}
        self._position = {c: i for i, c in enumerate(routed)}
        self._fit({c: cols[c] for c in routed}, y)
        out = self._assemble_names(names)
        if len(set(out)) != len(out):
            dupes = sorted({n for n in out if out.count(n) > 1})
            raise InvalidSpec(f"{self.block_name}: output columns {dupes} clash with "
                              "columns already in the input")

    def _fit_named(self, cols: Columns, y: Any = None) -> None:
        """:meth:`_fit_columns` for named columns (in a pipeline): also records the
        input names as scikit-learn does for a DataFrame."""
        self._fit_columns(cols, y)
        self.feature_names_in_ = np.asarray(list(cols), dtype=object)
        self.n_features_in_ = len(cols)

    def _transform_columns(self, cols: Columns) -> Columns:
        routed = self.columns_
        optional = self._optional_columns()
        for c in routed:
            if c in cols:
                self._check_column(c, cols[c])
            elif c not in optional:
                raise BlockInputError(self.block_name, c, self._expected(c),
                                      "is missing from the input")
        self._check_nulls(cols)
        new = self._apply({c: cols[c] for c in routed if c in cols})
        return self._assemble(cols, new)

    def _assemble(self, cols: Columns, new: Columns) -> Columns:
        """Pass unrouted columns through; new columns take the first routed column's place."""
        routed = set(self.columns_)
        out: Columns = {}
        placed = False
        for name, values in cols.items():
            if name in routed:
                if not placed:
                    out.update(new)
                    placed = True
            else:
                out[name] = values
        if not placed:
            out.update(new)
        return out

    def _assemble_names(self, names: list[str]) -> list[str]:
        routed = set(self.columns_)
        new = self._names_for([c for c in names if c in routed])
        out: list[str] = []
        placed = False
        for name in names:
            if name in routed:
                if not placed:
                    out.extend(new)
                    placed = True
            else:
                out.append(name)
        if not placed:
            out.extend(new)
        return out

    # ---- the scikit-learn face --------------------------------------------------
    def _ingest(self, X: Any, reset: bool) -> tuple[Columns, bool]:
        """Columns of ``X`` and whether ``X`` was a DataFrame; validates like sklearn."""
        if hasattr(X, "columns") and hasattr(X, "dtypes"):
            if not reset:
                known = self.names_in_
                present = {str(c) for c in X.columns}
                for c in known:
                    if c not in present and c not in self._optional_columns():
                        raise BlockInputError(self.block_name, c, self._expected(c),
                                              "is missing from the input")
            validate_data(self, X, reset=reset, skip_check_array=True)
            if len(X) == 0:
                raise InvalidSpec(f"{self.block_name}: found array with 0 sample(s) "
                                  "(shape=(0, ...)) while a minimum of 1 is required.")
            return frame_to_columns(X), True
        allow_nan = self.__sklearn_tags__().input_tags.allow_nan
        arr = validate_data(self, X, reset=reset, dtype=self._array_dtype,
                            ensure_all_finite="allow-nan" if allow_nan else True)
        names = [f"x{i}" for i in range(arr.shape[1])]
        return {n: arr[:, i] for i, n in enumerate(names)}, False

    def fit(self, X: Any, y: Any = None) -> Block:
        """Learn the block's state from ``X`` (DataFrame or 2-D array); returns ``self``.

        Raises
        ------
        BlockInputError
            If a routed column is missing, has the wrong dtype, or holds nulls where the
            block needs none.
        """
        cols, _ = self._ingest(X, reset=True)
        self._fit_columns(cols, y)
        return self

    def transform(self, X: Any) -> Any:
        """Transform ``X``: a DataFrame for DataFrame input, else a 2-D array.

        Raises
        ------
        BlockInputError
            As :meth:`fit`, naming the block, the column and the expected type.
        """
        check_is_fitted(self, "columns_")
        cols, is_frame = self._ingest(X, reset=False)
        out = self._transform_columns(cols)
        if is_frame:
            return columns_to_frame(out, X.index)
        return columns_to_array(out)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Names of the output columns, in order."""
        check_is_fitted(self, "columns_")
        names = list(self.names_in_)
        if input_features is not None:
            given = [str(c) for c in input_features]
            if len(given) != len(names):
                raise ValueError(f"input_features has {len(given)} names; the block was "
                                 f"fitted on {len(names)} columns")
            if hasattr(self, "feature_names_in_") and given != names:
                raise ValueError("input_features is not equal to feature_names_in_")
        return np.asarray(self._assemble_names(names), dtype=object)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = not self.non_null
        return tags


_FAST_KINDS = {"numeric": "biuf", "datetime": "M"}


def _numeric_objects(values: Any) -> bool:
    """Whether an object column holds only numbers and nulls (e.g. from JSON)."""
    try:
        np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    return True


def _compatible(fitted: str, now: str) -> bool:
    textual = {"string", "object", "category"}
    return fitted == now or (fitted in textual and now in textual)


def as_float(values: Any) -> np.ndarray:
    """A numeric column as float64 (no copy when it already is)."""
    return np.asarray(values, dtype=np.float64)
