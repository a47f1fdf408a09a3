"""The one conversion of Python values into JSON data (bottom layer: imports nothing).

:func:`json_safe` follows one rule everywhere:

- ``None``, booleans, integers, strings and finite floats pass through;
- mappings become dicts with string keys, lists and tuples become lists;
- numpy scalars and arrays become Python values and lists;
- dates, datetimes and timestamps become ISO-8601 strings (pandas' ``NaT`` writes
  itself as ``"NaT"``);
- what JSON cannot hold depends on what the value *is*, chosen with ``style``:

  ``style="data"`` (the default) is for values shown as data: feature rows,
  statistics, catalog entries. JSON has no NaN, and in data NaN means *missing*, so
  NaN, infinities, ``pd.NA`` and ``None``-like values become ``null``; anything else
  becomes its ``str``.

  ``style="params"`` is for settings a user chose (model, learner and block
  parameters), where ``nan`` is a deliberate value and not the same as *not set*
  (``None``): non-finite floats are kept as the strings ``"nan"``, ``"inf"``,
  ``"-inf"`` and anything else becomes its ``repr``, so nothing is silently dropped.

Callers that write stored records (the registry, pipeline persistence) use
``"params"``; views of data (the feature API and widget) use ``"data"``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, Literal

__all__ = ["Style", "json_safe"]

Style = Literal["data", "params"]


def json_safe(value: Any, *, style: Style = "data") -> Any:
    """``value`` as JSON-ready data (see the module docstring for the rule).

    Raises
    ------
    ValueError
        If ``style`` is not ``"data"`` or ``"params"``.
    """
    if style not in ("data", "params"):
        raise ValueError(f"json_safe style must be 'data' or 'params', not {style!r}")
    return _convert(value, style == "data")


def _convert(value: Any, data: bool) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        return None if data else repr(float(value))
    if isinstance(value, Mapping):
        return {str(k): _convert(v, data) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_convert(v, data) for v in value]
    if hasattr(value, "tolist") and type(value).__module__.startswith("numpy"):
        return _convert(value.tolist(), data)
    if data and hasattr(value, "item") and callable(value.item) \
            and not isinstance(value, bytes):
        # Other one-element containers of a scalar (a pandas Series of length one).
        try:
            return _convert(value.item(), data)
        except (ValueError, TypeError):
            pass
    if isinstance(value, datetime | date) or hasattr(value, "isoformat"):
        return value.isoformat()
    if data and _is_missing(value):
        return None
    return str(value) if data else repr(value)


def _is_missing(value: Any) -> bool:
    """``pd.NA``, ``pd.NaT`` and friends, without importing pandas if it is not loaded."""
    import sys

    pd = sys.modules.get("pandas")
    if pd is None:
        return False
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False
