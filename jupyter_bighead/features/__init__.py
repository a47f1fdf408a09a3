"""The feature store ("Zipline"): versioned event-aggregation features, point in time.

>>> from jupyter_bighead.features import EventSource, Feature, FeatureRepo
>>> repo = FeatureRepo(path)                                    # doctest: +SKIP
>>> src = EventSource("bookings", path="bookings.parquet", entity="user_id", timestamp="ts")
>>> repo.apply([Feature("bookings_7d_sum", source=src, column="amount", agg="sum", window="7d")])
>>> repo.materialize(spine, ["bookings_7d_sum"], entity="user_id", timestamp="ts")  # doctest: +SKIP

A feature queried at ``t`` aggregates the events with ``t - window <= vis < t``, where
``vis = max(ts, created_at)`` when the source has a ``created_at`` column, else ``ts``.
"""

from __future__ import annotations

from .leakage import LeakageError, LeakageWarning
from .repo import FeatureRepo, MaterializeStats
from .spec import AGGS, EventSource, Feature, parse_window

__all__ = [
    "AGGS",
    "EventSource",
    "Feature",
    "FeatureRepo",
    "LeakageError",
    "LeakageWarning",
    "MaterializeStats",
    "parse_window",
]
