"""Labels files for realized performance: reading them, naming their columns, and
checking a file before a monitor is scheduled with it.

A labels file is a ``.parquet`` or ``.csv`` table with one row per outcome: the
entity, the time the prediction was made for, the label and optionally when the label
arrived. ``label_columns`` maps those roles (``entity``, ``timestamp``, ``label``,
``arrived_at``) to the file's own column names, e.g. ``{"entity": "user_id"}`` for the
demo's ``data/labels.parquet``; unnamed roles use the role's name (``ts`` for the
timestamp, which may also be given as ``ts``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import InvalidSpec

#: The roles a labels file's columns play, with the column names used by default.
LABEL_ROLES = {"entity": "entity", "timestamp": "ts", "label": "label",
               "arrived_at": "arrived_at"}
_ALIASES = {"ts": "timestamp"}
_SUFFIXES = (".parquet", ".csv")


def label_names(label_columns: Mapping[str, Any] | None) -> dict[str, str]:
    """Every role's column name: ``LABEL_ROLES`` overridden by ``label_columns``.

    Raises ``InvalidSpec`` for an unknown role or a name that is not a non-empty
    string."""
    if label_columns is not None and not isinstance(label_columns, Mapping):
        raise InvalidSpec("label_columns must map roles (entity, timestamp, label, "
                          "arrived_at) to the labels file's column names")
    out = dict(LABEL_ROLES)
    for key, value in dict(label_columns or {}).items():
        role = _ALIASES.get(str(key), str(key))
        if role not in LABEL_ROLES:
            raise InvalidSpec(f"unknown label column role {key!r}; known: "
                              f"{sorted(LABEL_ROLES)}")
        if not isinstance(value, str) or not value or len(value) > 256:
            raise InvalidSpec(f"label column {key!r} must name a column, not {value!r}")
        out[role] = value
    return out


def read_labels(path: str | os.PathLike[str]) -> Any:
    """A labels file (``.parquet`` or ``.csv``) as a DataFrame.

    Raises ``InvalidSpec`` for another suffix, ``OSError`` or ``ValueError`` for a file
    that cannot be read."""
    import pandas as pd

    text = str(path)
    if text.endswith(".parquet"):
        return pd.read_parquet(text)
    if text.endswith(".csv"):
        return pd.read_csv(text)
    raise InvalidSpec(f"labels must be a .parquet or .csv file, not {text!r}")


def file_columns(path: str | os.PathLike[str]) -> list[str]:
    """The column names of a labels file, read from its schema or header only.

    Raises ``InvalidSpec`` for a missing or unreadable file or another suffix."""
    text = str(path)
    if not text.endswith(_SUFFIXES):
        raise InvalidSpec(f"labels must be a .parquet or .csv file, not {text!r}")
    if not Path(text).is_file():
        raise InvalidSpec(f"no labels file at {text}")
    try:
        if text.endswith(".parquet"):
            import pyarrow.parquet as pq

            return list(pq.read_schema(text).names)
        import pandas as pd

        return [str(c) for c in pd.read_csv(text, nrows=0).columns]
    except (OSError, ValueError) as exc:
        raise InvalidSpec(f"the labels file {Path(text).name} cannot be read: "
                          f"{type(exc).__name__}: {exc}"[:500]) from exc


def check_labels_file(path: str | os.PathLike[str],
                      label_columns: Mapping[str, Any] | None = None) -> dict[str, str]:
    """Check that ``path`` is a readable labels file with an entity, timestamp and
    label column (named through ``label_columns``); returns the role names.

    Raises ``InvalidSpec`` naming what is wrong (a missing file, an unreadable one, or
    the missing columns and the columns the file has)."""
    names = label_names(label_columns)
    columns = file_columns(path)
    missing = [f"{role} ({names[role]!r})" for role in ("entity", "timestamp", "label")
               if names[role] not in columns]
    if missing:
        raise InvalidSpec(f"the labels file {Path(str(path)).name} has no column for "
                          f"{', '.join(missing)}; it has {columns[:20]}; name them with "
                          "label_columns, e.g. {\"entity\": \"user_id\"}")
    return names
