"""One source group through the point-in-time engine: read columns in, result columns out.

:meth:`.repo.FeatureRepo.materialize` runs these on a whole source in one process, and
:mod:`.distributed` runs the very same functions on each entity partition on a Dask
worker, so there is one point-in-time implementation, whatever runs it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

import jupyter_bighead.features.engine as engine

from .frames import check_numeric
from .sources import to_ticks
from .spec import EventSource, Feature

if TYPE_CHECKING:
    from collections.abc import Iterator

    import pandas as pd

__all__ = ["add_columns", "base_columns", "compute_columns", "prepare_events"]


def base_columns(source: EventSource) -> list[str]:
    """The key columns of ``source``: entity, timestamp and (if any) created_at."""
    return [source.entity, source.timestamp] + ([source.created_at] if source.created_at else [])


def prepare_events(
    source: EventSource, data: dict[str, Any], features: list[Feature]
) -> engine.Prepared:
    """Sort the events in ``data`` (read columns, in source row order) for ``features``.

    ``data`` holds the key columns and every value column ``features`` need; the key
    columns no feature needs are taken out of it (so the caller can free them), and
    the value columns are added to the result.

    Raises
    ------
    InvalidSpec
        On a timestamp of the wrong type, zone mixing, or a numeric aggregation of a
        non-numeric column.
    """
    base = base_columns(source)
    needed = list(dict.fromkeys(f.column for f in features if f.column))
    csv = source.kind == "csv"
    keep = set(needed) | {name for name in base if base.count(name) > 1}

    def take(name: str) -> Any:  # hand the column over unless used again
        return data[name] if name in keep else data.pop(name)

    owned: dict[str, Any] = {
        "ts": to_ticks(
            take(source.timestamp),
            f"source {source.name!r} column {source.timestamp!r}",
            parse_lines=csv,
        )
    }
    if source.created_at:
        owned["created"] = to_ticks(
            take(source.created_at),
            f"source {source.name!r} column {source.created_at!r}",
            parse_lines=csv,
        )
    owned["entity"] = take(source.entity)
    # prepare_owned empties ``owned``, freeing each raw key column once it is used
    prep = engine.prepare_owned(owned, f"source {source.name!r}")
    for name in base:
        if name not in needed:
            data.pop(name, None)
    add_columns(prep, source, features, data)
    return prep


def add_columns(
    prep: engine.Prepared, source: EventSource, features: list[Feature], data: dict[str, Any]
) -> None:
    """Add the value columns ``features`` need (from ``data``) that ``prep`` lacks.

    Raises
    ------
    InvalidSpec
        If a numeric aggregation asks for a non-numeric column.
    """
    import pandas as pd

    for feature in features:
        if feature.column and feature.column not in prep.columns:
            series = data[feature.column]
            dtype = series.dtype
            numeric = bool(
                pd.api.types.is_numeric_dtype(dtype)
                and not pd.api.types.is_datetime64_any_dtype(dtype)
            )
            check_numeric(numeric, source, feature, series)
            prep.add_column(str(feature.column), series, numeric=numeric)
        elif feature.column:
            check_numeric(prep.columns[feature.column].numeric, source, feature, None)


def compute_columns(
    prep: engine.Prepared,
    features: list[Feature],
    ents: pd.Series,
    t_ns: np.ndarray,
    zone: str,
    what: str,
    entity_what: str,
) -> Iterator[Any]:
    """Yield each feature's values for the spine rows ``(ents, t_ns)``, in spine row order
    (one at a time, so a caller can store each while the next is computed).

    Raises
    ------
    InvalidSpec
        If the spine's zone clashes with the source's, or the entity types cannot match.
    """
    q = engine.map_queries(prep, ents, t_ns, zone, what, entity_what)
    batch = [
        (prep.columns.get(f.column) if f.column else None, f.agg, f.window_ns) for f in features
    ]
    inverse: np.ndarray | None = None
    for values in engine.aggregate_many(prep, q, batch):
        if isinstance(values, np.ndarray):
            out = np.empty_like(values)
            out[q.order] = values
        else:
            if inverse is None:
                inverse = np.empty_like(q.order)
                inverse[q.order] = np.arange(len(q.order))
            out = values.take(inverse)
        yield out
