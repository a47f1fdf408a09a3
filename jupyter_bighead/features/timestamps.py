"""Point-in-time strings from requests and callers, parsed with bounded work."""

from __future__ import annotations

import re
from typing import Any

from ..errors import InvalidSpec

#: The longest timestamp text accepted: pandas' parser is slow on long strings (a
#: 800,000-character one took 30 s), and no ISO 8601 date-time comes near this.
MAX_TIMESTAMP_CHARS = 64
# ISO 8601 date, optional time (with fraction) and zone; pandas does the exact parse.
_ISO = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
                  r"(?:[T ][0-9]{2}(?::?[0-9]{2}(?::?[0-9]{2}(?:[.,][0-9]{1,9})?)?)?)?"
                  r"(?:Z|[+-][0-9]{2}(?::?[0-9]{2})?)?\Z")


def parse_timestamp(text: str, what: str = "'at'") -> Any:
    """An ISO 8601 date or date-time string as a ``pandas.Timestamp``.

    Raises
    ------
    InvalidSpec
        Naming ``what`` when the text is longer than :data:`MAX_TIMESTAMP_CHARS`, is
        not ISO 8601 (e.g. "now", "yesterday"), or names no real date.
    """
    if not isinstance(text, str):
        raise InvalidSpec(f"{what} must be an ISO 8601 date-time string")
    shown = text if len(text) <= 40 else text[:40] + f"... ({len(text)} characters)"
    if len(text) > MAX_TIMESTAMP_CHARS or not _ISO.match(text):
        raise InvalidSpec(f"{what} {shown!r} is not an ISO 8601 date-time such as "
                          "'2024-05-01' or '2024-05-01T12:00:00Z'")
    import pandas as pd

    try:
        return pd.Timestamp(text)
    except (ValueError, TypeError, OverflowError):
        # pandas' own message runs to several lines of advice: name the input instead.
        raise InvalidSpec(f"{what} {shown!r} is not a valid date-time") from None
