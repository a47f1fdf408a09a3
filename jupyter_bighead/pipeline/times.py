"""Date-time input for blocks: parsing request values exactly, and refusing relative
words ("now") that would make a point-in-time result depend on when it ran."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import BlockInputError

__all__ = ["RELATIVE_TIMES", "first_line", "parse_datetimes", "refuse_relative_times"]


def parse_datetimes(block: str, column: str, values: Any) -> np.ndarray:
    import datetime as dt

    import pandas as pd

    items = list(values)
    refuse_relative_times(block, column, items)
    # The one-row request path: naive datetimes, or ISO text without a zone, convert
    # exactly (to the microsecond) in numpy; anything else goes to pandas' parser.
    if all(isinstance(v, dt.datetime) and v.tzinfo is None
           and getattr(v, "nanosecond", 0) == 0 for v in items):
        return np.array(items, dtype="datetime64[us]")
    if all(isinstance(v, str) and len(v) <= 26 and not v.endswith("Z") for v in items):
        try:
            return np.array(items, dtype="datetime64[us]")
        except ValueError:
            pass
    try:
        parsed = pd.to_datetime(pd.Series(values, dtype=object), format="ISO8601")
    except (ValueError, TypeError) as exc:
        raise BlockInputError(block, column, "a datetime64 dtype (or ISO 8601 text)",
                              f"holds text that is not a date-time ({first_line(exc)})"
                              ) from None
    if getattr(parsed.dtype, "tz", None) is not None:
        parsed = parsed.dt.tz_localize(None)
    return parsed.to_numpy()


#: Words numpy's and pandas' date parsers turn into the wall clock at parse time.
RELATIVE_TIMES = ("now", "today")


def refuse_relative_times(block: str, column: str, items: Sequence[Any]) -> None:
    """Raise ``BlockInputError`` for a ``"now"``/``"today"`` among ``items``: a
    point-in-time result would silently depend on when it was computed."""
    for row, v in enumerate(items):
        if isinstance(v, str) and len(v) < 16 and v.strip().lower() in RELATIVE_TIMES:
            raise BlockInputError(block, column, "a datetime64 dtype (or ISO 8601 text)",
                                  f"holds {v!r} at row {row}, which names no instant")


def first_line(exc: Exception) -> str:
    """pandas' complaint without the advice to its programmer that follows it ("You
    might want to try: - passing `format`..." over several lines)."""
    text = str(exc).split(" You might want to try", 1)[0]
    return (text.splitlines() or [type(exc).__name__])[0].strip()
