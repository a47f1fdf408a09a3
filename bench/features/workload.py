"""The benchmark workload: ten features over one event column (stdlib only, no heavy imports)."""

from __future__ import annotations

DAY_MS = 86_400_000
WINDOWS_MS = {"1d": DAY_MS, "7d": 7 * DAY_MS, "30d": 30 * DAY_MS}
AGGS = ("sum", "count", "mean")
ENTITY, TIMESTAMP, VALUE = "entity_id", "ts", "value"


def feature_name(agg: str, window: str | None) -> str:
    return f"v_{window}_{agg}" if window else f"v_{agg}"


# (name, agg, window): windows 1d, 7d, 30d x {sum, count, mean}, plus last over all history.
FEATURES: list[tuple[str, str, str | None]] = [
    (feature_name(agg, w), agg, w) for w in WINDOWS_MS for agg in AGGS
] + [(feature_name("last", None), "last", None)]
NAMES = [name for name, _, _ in FEATURES]
COUNT_NAMES = [name for name, agg, _ in FEATURES if agg == "count"]
