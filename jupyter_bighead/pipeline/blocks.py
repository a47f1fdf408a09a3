"""The built-in tabular blocks: imputation, scaling, clipping, log, categories, dates,
column selection.

Every block takes ``columns`` (the columns it applies to; ``None`` means all) and
passes the other columns through. Numeric outputs are float64; nulls (NaN) pass
through the scaling blocks, since LightGBM handles missing values itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from ..errors import InvalidSpec
from .base import Block, Columns, as_float, null_mask

#: The category every unseen value of a :class:`CategoryEncode` column maps to.
UNSEEN = "__unseen__"

_STRATEGIES = ("mean", "median", "constant", "most_frequent")


class Impute(Block):
    """Fill missing values with the mean, median, most frequent value or a constant.

    Parameters
    ----------
    columns
        Columns to fill (``None``: all). ``mean`` and ``median`` need numeric columns.
    strategy
        ``"mean"``, ``"median"``, ``"most_frequent"`` or ``"constant"``.
    fill_value
        The constant for ``strategy="constant"`` (default 0).
    add_indicator
        Also emit a ``<column>__missing`` column (1.0 where the value was missing).
    """

    input_kind = "any"

    def __init__(self, columns: Sequence[str] | None = None, strategy: str = "mean",
                 fill_value: Any = None, add_indicator: bool = False) -> None:
        self.columns = columns
        self.strategy = strategy
        self.fill_value = fill_value
        self.add_indicator = add_indicator

    def _check_column(self, name: str, values: Any) -> None:
        super()._check_column(name, values)
        if self.strategy in ("mean", "median") and values.dtype.kind not in "biuf":
            from ..errors import BlockInputError

            raise BlockInputError(self.block_name, name, "a numeric dtype (int, float or bool)",
                                  f"has dtype {values.dtype} (strategy={self.strategy!r})")

    def _fit(self, cols: Columns, y: Any) -> None:
        if self.strategy not in _STRATEGIES:
            raise InvalidSpec(f"Impute: strategy must be one of {_STRATEGIES}, "
                              f"not {self.strategy!r}")
        stats: list[Any] = []
        for values in cols.values():
            numeric = values.dtype.kind in "biuf"
            if self.strategy == "constant":
                fill = 0 if self.fill_value is None else self.fill_value
            elif self.strategy == "most_frequent":
                fill = _most_frequent(values)
            else:
                x = as_float(values)
                x = x[~np.isnan(x)]
                fill = (float(np.mean(x)) if self.strategy == "mean" else float(np.median(x))
                        ) if x.size else 0.0
            stats.append(float(fill) if numeric and fill is not None else fill)
        numeric_all = all(v.dtype.kind in "biuf" for v in cols.values())
        self.statistics_ = (np.asarray(stats, dtype=np.float64) if numeric_all
                            else np.asarray(stats, dtype=object))

    def _names_for(self, routed: list[str]) -> list[str]:
        return routed + ([f"{c}__missing" for c in routed] if self.add_indicator else [])

    def _apply(self, cols: Columns) -> Columns:
        if self.statistics_.dtype.kind == "f" and not self.add_indicator:
            idx, matrix = self._numeric(cols)
            if matrix is not None:
                filled = np.where(np.isnan(matrix), self.statistics_[idx, None], matrix)
                return dict(zip(cols, filled, strict=True))
        out: Columns = {}
        masks: Columns = {}
        for name, values in cols.items():
            fill = self.statistics_[self._position[name]]
            if values.dtype.kind in "biuf":
                x = as_float(values)
                mask = np.isnan(x)
                out[name] = np.where(mask, float(fill), x) if mask.any() else x
            else:
                mask = null_mask(values)
                if mask.any():
                    values = values.copy()
                    values[mask] = fill
                out[name] = values
            if self.add_indicator:
                masks[f"{name}__missing"] = mask.astype(np.float64)
        out.update(masks)
        return out


def _most_frequent(values: Any) -> Any:
    import pandas as pd

    counts = pd.Series(values).value_counts(dropna=True, sort=False)
    if counts.empty:
        return 0.0 if values.dtype.kind in "biuf" else UNSEEN
    top = counts.max()
    # Ties go to the smallest value, as in scikit-learn's SimpleImputer.
    best = sorted(counts.index[counts.to_numpy() == top], key=lambda v: (str(type(v)), v))[0]
    return best.item() if hasattr(best, "item") else best


class Standardize(Block):
    """Centre and scale to unit variance: ``(x - mean) / std`` (NaN ignored and kept).

    A constant column gets scale 1 so that it maps to zero rather than to NaN.
    """

    def __init__(self, columns: Sequence[str] | None = None, with_mean: bool = True,
                 with_std: bool = True) -> None:
        self.columns = columns
        self.with_mean = with_mean
        self.with_std = with_std

    def _fit(self, cols: Columns, y: Any) -> None:
        means, scales = [], []
        for values in cols.values():
            x = as_float(values)
            finite = x[~np.isnan(x)]
            mean = float(finite.mean()) if finite.size and self.with_mean else 0.0
            std = float(finite.std()) if finite.size and self.with_std else 1.0
            means.append(mean)
            scales.append(std if std > 0 else 1.0)
        self.mean_ = np.asarray(means, dtype=np.float64)
        self.scale_ = np.asarray(scales, dtype=np.float64)

    def _apply(self, cols: Columns) -> Columns:
        idx, matrix = self._numeric(cols)
        if matrix is not None:
            return dict(zip(cols, (matrix - self.mean_[idx, None]) / self.scale_[idx, None],
                            strict=True))
        return {name: (as_float(v) - self.mean_[i]) / self.scale_[i]
                for (name, v), i in zip(cols.items(), idx, strict=True)}


class MinMaxScale(Block):
    """Scale linearly so that the fitted minimum and maximum map to ``feature_range``."""

    def __init__(self, columns: Sequence[str] | None = None,
                 feature_range: tuple[float, float] = (0.0, 1.0)) -> None:
        self.columns = columns
        self.feature_range = feature_range

    def _fit(self, cols: Columns, y: Any) -> None:
        lo, hi = (float(v) for v in self.feature_range)
        if not lo < hi:
            raise InvalidSpec(f"MinMaxScale: feature_range {self.feature_range} must be "
                              "increasing")
        mins, scales = [], []
        for values in cols.values():
            x = as_float(values)
            finite = x[~np.isnan(x)]
            vmin = float(finite.min()) if finite.size else 0.0
            vmax = float(finite.max()) if finite.size else 1.0
            span = vmax - vmin
            scale = (hi - lo) / span if span > 0 else 1.0
            mins.append(lo - vmin * scale)
            scales.append(scale)
        self.min_ = np.asarray(mins, dtype=np.float64)
        self.scale_ = np.asarray(scales, dtype=np.float64)

    def _apply(self, cols: Columns) -> Columns:
        idx, matrix = self._numeric(cols)
        if matrix is not None:
            return dict(zip(cols, matrix * self.scale_[idx, None] + self.min_[idx, None],
                            strict=True))
        return {name: as_float(v) * self.scale_[i] + self.min_[i]
                for (name, v), i in zip(cols.items(), idx, strict=True)}


class Clip(Block):
    """Clip to the ``lower`` and ``upper`` quantiles learned at fit (NaN kept)."""

    def __init__(self, columns: Sequence[str] | None = None, lower: float = 0.01,
                 upper: float = 0.99) -> None:
        self.columns = columns
        self.lower = lower
        self.upper = upper

    def _fit(self, cols: Columns, y: Any) -> None:
        if not 0.0 <= float(self.lower) <= float(self.upper) <= 1.0:
            raise InvalidSpec(f"Clip: need 0 <= lower <= upper <= 1, got {self.lower}, "
                              f"{self.upper}")
        lows, highs = [], []
        for values in cols.values():
            x = as_float(values)
            finite = x[~np.isnan(x)]
            if finite.size:
                lo, hi = np.quantile(finite, [float(self.lower), float(self.upper)])
            else:
                lo, hi = -np.inf, np.inf
            lows.append(lo)
            highs.append(hi)
        self.lower_ = np.asarray(lows, dtype=np.float64)
        self.upper_ = np.asarray(highs, dtype=np.float64)

    def _apply(self, cols: Columns) -> Columns:
        idx, matrix = self._numeric(cols)
        if matrix is not None:
            clipped = np.minimum(np.maximum(matrix, self.lower_[idx, None]),
                                 self.upper_[idx, None])
            return dict(zip(cols, clipped, strict=True))
        return {name: np.minimum(np.maximum(as_float(v), self.lower_[i]), self.upper_[i])
                for (name, v), i in zip(cols.items(), idx, strict=True)}


class Log1p(Block):
    """``log(1 + x)``; with ``signed=True``, ``sign(x) * log(1 + |x|)`` (defined for any x).

    Unsigned, values below -1 become NaN (missing, for LightGBM).
    """

    def __init__(self, columns: Sequence[str] | None = None, signed: bool = False) -> None:
        self.columns = columns
        self.signed = signed

    def _apply(self, cols: Columns) -> Columns:
        out: Columns = {}
        with np.errstate(invalid="ignore", divide="ignore"):
            for name, values in cols.items():
                x = as_float(values)
                out[name] = np.sign(x) * np.log1p(np.abs(x)) if self.signed else np.log1p(x)
        return out


class CategoryEncode(Block):
    """Encode to pandas categoricals, which LightGBM treats as categorical features.

    The categories are the values seen at fit (at least ``min_count`` times), in sorted
    order, plus a reserved last category ``"__unseen__"`` for values not seen at fit.
    Missing values stay missing. As a 2-D array (numpy input) the output holds the
    category codes as floats, NaN for missing.
    """

    input_kind = "any"
    _array_dtype = None

    def __init__(self, columns: Sequence[str] | None = None, min_count: int = 1) -> None:
        self.columns = columns
        self.min_count = min_count

    def _fit(self, cols: Columns, y: Any) -> None:
        import pandas as pd

        cats: dict[str, Any] = {}
        for name, values in cols.items():
            counts = pd.Series(np.asarray(values, dtype=object) if values.dtype.kind not in "biufM"
                               else values).value_counts(dropna=True)
            kept = counts.index[counts.to_numpy() >= int(self.min_count)].tolist()
            try:
                kept = sorted(kept)
            except TypeError:  # mixed types: order by text, deterministic still
                kept = sorted(kept, key=lambda v: (type(v).__name__, str(v)))
            if values.dtype.kind in "biuf":
                cats[name] = np.asarray(kept, dtype=np.float64)
            else:
                cats[name] = [v.item() if hasattr(v, "item") else v for v in kept]
        self.categories_ = cats
        self._after_load()

    def _after_load(self) -> None:
        import pandas as pd

        super()._after_load()
        # Lookup structures built once, not per call (the one-row path depends on it).
        self._lookup = {}
        for name, cats in self.categories_.items():
            known = list(np.asarray(cats).tolist()) if isinstance(cats, np.ndarray) else cats
            textual = all(isinstance(v, str) for v in known)
            self._lookup[name] = (pd.CategoricalDtype([*known, UNSEEN]), pd.Index(known),
                                  {v: i for i, v in enumerate(known)},
                                  known if textual else None)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.categorical = True
        return tags

    def _apply(self, cols: Columns) -> Columns:
        import pandas as pd

        out: Columns = {}
        for name, values in cols.items():
            dtype, index, lookup, known_arrow = self._lookup[name]
            reserved = len(index)
            if len(values) <= 16:  # the one-row path: a dict lookup beats hashing an Index
                codes = np.empty(len(values), dtype=np.int32)
                for i, v in enumerate(values.tolist()):
                    if v is None or v is pd.NA or (isinstance(v, float) and v != v):
                        codes[i] = -1
                    else:
                        codes[i] = lookup.get(v, reserved)
            else:
                fast = _arrow_codes(values, known_arrow) if known_arrow is not None else None
                codes = fast if fast is not None else index.get_indexer(values).astype(np.int32)
                unseen = codes < 0
                if unseen.any():
                    codes[unseen & ~null_mask(values)] = reserved
            out[name] = pd.Categorical.from_codes(codes, dtype=dtype, validate=False)
        return out


def _arrow_codes(values: Any, known: list[str]) -> np.ndarray | None:
    """Positions of Arrow-backed text in ``known`` (-1 for unknown or null), ~15x faster
    than hashing the values in pandas; ``None`` when ``values`` is not Arrow-backed."""
    if not hasattr(values, "__arrow_array__"):
        return None
    try:
        import pyarrow as pa
        import pyarrow.compute as pc

        found = pc.index_in(pa.array(values), value_set=pa.array(known, type=pa.string()))
        return np.array(found.fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int32)
    except (ImportError, TypeError, ValueError, pa.ArrowException):
        return None


_PARTS = ("year", "month", "day", "dayofweek", "dayofyear", "hour", "minute")


class DateParts(Block):
    """Split date-times into numeric parts: ``<column>__year``, ``__month``, ``__day``,
    ``__dayofweek`` (Monday 0), ``__dayofyear``, ``__hour``, ``__minute``.

    The source column is replaced by its parts. Time-zone aware columns use their
    wall-clock time.
    """

    input_kind = "datetime"
    non_null = True
    _array_dtype = None

    def __init__(self, columns: Sequence[str] | None = None,
                 parts: Sequence[str] = ("year", "month", "day", "dayofweek", "hour")) -> None:
        self.columns = columns
        self.parts = parts

    def _fit(self, cols: Columns, y: Any) -> None:
        bad = [p for p in self.parts if p not in _PARTS]
        if bad or not self.parts:
            raise InvalidSpec(f"DateParts: parts must be a non-empty subset of {_PARTS}, "
                              f"not {list(self.parts)}")

    def _names_for(self, routed: list[str]) -> list[str]:
        return [f"{c}__{p}" for c in routed for p in self.parts]

    def _apply(self, cols: Columns) -> Columns:
        out: Columns = {}
        for name, values in cols.items():
            t = np.asarray(values)  # any datetime64 unit: the parts below are unit-free
            days = t.astype("datetime64[D]")
            for part in self.parts:
                out[f"{name}__{part}"] = _part(t, days, part).astype(np.float64)
        return out


def _part(t: np.ndarray, days: np.ndarray, part: str) -> np.ndarray:
    if part == "year":
        return t.astype("datetime64[Y]").astype(np.int64) + 1970
    if part == "month":
        return t.astype("datetime64[M]").astype(np.int64) % 12 + 1
    if part == "day":
        return (days - days.astype("datetime64[M]")).astype(np.int64) + 1
    if part == "dayofweek":  # 1970-01-01 was a Thursday
        return (days.astype(np.int64) + 3) % 7
    if part == "dayofyear":
        return (days - days.astype("datetime64[Y]")).astype(np.int64) + 1
    within = (t - days).astype("timedelta64[m]").astype(np.int64)
    return within // 60 if part == "hour" else within % 60


class Select(Block):
    """Keep only ``columns``, in that order; every other column is dropped."""

    input_kind = "any"
    _array_dtype = None

    def __init__(self, columns: Sequence[str] | None = None) -> None:
        self.columns = columns

    def _apply(self, cols: Columns) -> Columns:
        return {c: cols[c] for c in self.columns_}

    def _assemble(self, cols: Columns, new: Columns) -> Columns:
        return new

    def _assemble_names(self, names: list[str]) -> list[str]:
        return list(self.columns_)


class Drop(Block):
    """Drop ``columns``; every other column passes through."""

    input_kind = "any"
    _array_dtype = None
    resources: ClassVar[dict[str, Any]] = {"cpu": "100m", "memory": "256Mi", "gpu": 0}

    def __init__(self, columns: Sequence[str] | None = None) -> None:
        self.columns = columns

    def _apply(self, cols: Columns) -> Columns:
        return {}

    def _names_for(self, routed: list[str]) -> list[str]:
        return []
