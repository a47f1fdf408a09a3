"""Checks and helpers for the tables :class:`~.repo.FeatureRepo` takes and returns: the
spine, the feature references asked for, the columns added to the result."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import InvalidSpec
from .sources import value_column_line_error
from .spec import NUMERIC_AGGS, EventSource, Feature

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["as_frame", "check_numeric", "check_refs", "result_column", "shared_column",
           "with_columns"]

def check_numeric(numeric: bool, source: EventSource, feature: Feature, series: Any) -> None:
    if numeric or feature.agg not in NUMERIC_AGGS:
        return
    if series is not None and source.kind == "csv":
        raise value_column_line_error(source, str(feature.column), series)
    raise InvalidSpec(
        f"feature {feature.name!r}: agg {feature.agg!r} needs a numeric column, but "
        f"source {source.name!r} column {feature.column!r} is not numeric"
    )


def with_columns(frame: pd.DataFrame, columns: dict[str, Any]) -> pd.DataFrame:
    """``frame`` (not copied) plus ``columns``, built at once rather than column by column."""
    import pandas as pd

    if frame.columns.is_unique and not isinstance(frame.columns, pd.MultiIndex):
        data: dict[Any, Any] = {name: frame[name] for name in frame.columns}
        data.update(columns)
        result = pd.DataFrame(data, index=frame.index, copy=False)
        result.attrs = dict(frame.attrs)
        return result
    result = frame.copy(deep=False)
    for name, values in columns.items():
        result[name] = values
    return result


def as_frame(spine: Any) -> pd.DataFrame:
    import pandas as pd

    if isinstance(spine, pd.DataFrame):
        return spine
    if hasattr(spine, "to_pandas"):
        frame = spine.to_pandas()
        if isinstance(frame, pd.DataFrame):
            return frame
    raise InvalidSpec(f"the spine must be a pandas DataFrame, not {type(spine).__name__}")


def result_column(ref: str) -> str:
    """The result column :meth:`~.repo.FeatureRepo.materialize` names for ``ref``.

    ``name`` and ``name:N`` give the feature's name (``bookings_7d_sum``): the column a
    :class:`~jupyter_bighead.pipeline.FeatureLookup` makes and batch scoring fetches
    into, and one LightGBM accepts (it refuses ``:`` in feature names). The old
    ``name@N`` keeps the column name it always had, ``name@N``, so models trained on
    such columns keep their inputs.
    """
    name, sep, version = ref.partition(":")
    return name if sep and version.isdigit() and "@" not in name else ref


def check_refs(refs: list[str], frame: pd.DataFrame) -> None:
    if not refs:
        raise InvalidSpec("materialize needs at least one feature reference")
    seen: dict[str, str] = {}
    for ref in refs:
        if not isinstance(ref, str):
            raise InvalidSpec(f"feature reference {ref!r} must be a string")
        if ref in seen.values():
            raise InvalidSpec(f"feature reference {ref!r} is requested twice")
        column = result_column(ref)
        if column in seen:
            raise InvalidSpec(f"feature references {seen[column]!r} and {ref!r} would both "
                              f"be column {column!r}: materialize them in separate calls")
        if column in frame.columns:
            raise InvalidSpec(f"feature reference {ref!r} clashes with the spine column "
                              f"{column!r}")
        seen[column] = ref


def shared_column(names: list[str], role: str) -> str:
    distinct = sorted(set(names))
    if len(distinct) != 1:
        raise InvalidSpec(
            f"the features' sources use different {role} columns ({', '.join(distinct)}): "
            f"pass {role}= to name the spine column"
        )
    return distinct[0]
