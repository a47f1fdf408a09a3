"""``bh.log_metric``: record a number from inside a job (or a plain notebook)."""

from __future__ import annotations

import json
import math
import os
from typing import Any

METRICS_ENV = "BIGHEAD_METRICS_FILE"
_session: dict[str, float] = {}


def log_metric(name: str, value: Any) -> float:
    """Record ``value`` under ``name``; inside a job it lands in the job's record.

    Returns the value as a float, so it can be used inline.

    Raises
    ------
    InvalidSpec
        If the name is empty or the value is not a finite number.
    """
    from ..errors import InvalidSpec

    if not isinstance(name, str) or not name.strip():
        raise InvalidSpec("metric name must be a non-empty string")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InvalidSpec(f"metric {name!r} value {value!r} is not a number") from None
    if not math.isfinite(number):
        raise InvalidSpec(f"metric {name!r} value {value!r} is not finite")
    _session[name] = number
    target = os.environ.get(METRICS_ENV)
    if target:
        with open(target, "a", encoding="utf-8") as fh:
            fh.write(json.dumps({"name": name, "value": number}) + "\n")
    return number


def read_metrics(path: str | os.PathLike[str]) -> dict[str, float]:
    """The last value of each metric in a metrics file (missing file: empty)."""
    out: dict[str, float] = {}
    try:
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                try:
                    item = json.loads(line)
                    out[str(item["name"])] = float(item["value"])
                except (ValueError, KeyError, TypeError):
                    continue
    except FileNotFoundError:
        pass
    return out
