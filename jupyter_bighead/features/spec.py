"""Feature definitions: :class:`EventSource` and :class:`Feature`, plus their validation.

Both are frozen dataclasses. Everything that can be checked without reading data is
checked at construction time, so a typo in an aggregation or a window fails in the
cell that wrote it, with an :class:`~jupyter_bighead.errors.InvalidSpec` naming it.

Time semantics (shared by the engine, the cache and the leakage guard): an event's
*visibility time* is ``vis = max(ts, created_at)`` when the source has a
``created_at`` column (a null ``created_at`` falls back to ``ts``), else ``vis = ts``.
A feature queried at time ``t`` aggregates exactly the events with
``t - window <= vis < t`` (``window=None``: every event with ``vis < t``).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from typing import Any

from ..errors import InvalidSpec
from ..refs import parse_feature_ref

AGGS = ("sum", "count", "mean", "min", "max", "last", "first", "count_distinct")
"""The supported aggregations."""

NUMERIC_AGGS = frozenset({"sum", "mean", "min", "max"})
"""Aggregations that need a numeric (or boolean) column."""

_UNIT_NS = {
    "s": 1_000_000_000,
    "m": 60_000_000_000,
    "h": 3_600_000_000_000,
    "d": 86_400_000_000_000,
    "w": 7 * 86_400_000_000_000,
}
_WINDOW_RE = re.compile(r"\s*([0-9]{1,9})\s*([smhdw])\s*\Z")
_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*\Z")
_FORMATS = ("parquet", "csv")


def parse_window(window: str | None, *, feature: str | None = None) -> int | None:
    """Parse a window string such as ``"30m"``, ``"1h"``, ``"7d"`` or ``"2w"`` into nanoseconds.

    ``None`` means all history and is returned unchanged. Units are ``s`` (seconds),
    ``m`` (minutes), ``h`` (hours), ``d`` (days) and ``w`` (weeks).

    Raises
    ------
    InvalidSpec
        If the string is malformed or the window is not positive.
    """
    if window is None:
        return None
    where = f" of feature {feature!r}" if feature else ""
    if not isinstance(window, str):
        raise InvalidSpec(
            f"window{where} must be a string like '7d' or None, not {type(window).__name__}"
        )
    match = _WINDOW_RE.match(window)
    if not match:
        raise InvalidSpec(
            f"malformed window {window!r}{where}: use a positive integer and a unit "
            "s, m, h, d or w, e.g. '30m', '1h', '7d', '2w'"
        )
    amount = int(match.group(1))
    if amount <= 0:
        raise InvalidSpec(f"window {window!r}{where} must be longer than zero")
    return amount * _UNIT_NS[match.group(2)]


def _check_name(kind: str, value: object) -> str:
    if not isinstance(value, str) or not _NAME_RE.match(value):
        raise InvalidSpec(
            f"{kind} name {value!r} is invalid: use letters, digits, '_', '.' or '-', "
            "starting with a letter or '_' (and no '@', which selects versions)"
        )
    return value


def _check_column(owner: str, role: str, value: object, *, optional: bool = False) -> None:
    if value is None and optional:
        return
    if not isinstance(value, str) or not value:
        raise InvalidSpec(f"{owner}: {role} must be a non-empty column name, not {value!r}")


@dataclass(frozen=True)
class EventSource:
    """A table of timestamped events keyed by an entity.

    Exactly one of ``path`` (a parquet file, a folder of parquet files, or a CSV file)
    or ``query`` (SQL run by DuckDB, which is imported only when the query runs) must
    be given. Relative paths are made absolute at construction, so a definition means
    the same file wherever it is materialized.

    ``created_at`` optionally names the column holding when a row became known; see the
    module docstring for how it shapes visibility.

    Raises
    ------
    InvalidSpec
        On a bad name, a missing or empty column name, both or neither of
        ``path``/``query``, or an unknown ``format``. ``format`` may name a reader a
        package declares (entry-point group ``jupyter_bighead.feature_sources``).
    """

    name: str
    path: str | None = None
    entity: str = "entity"
    timestamp: str = "ts"
    created_at: str | None = None
    query: str | None = None
    format: str | None = None

    def __post_init__(self) -> None:
        _check_name("source", self.name)
        where = f"source {self.name!r}"
        if (self.path is None) == (self.query is None):
            raise InvalidSpec(f"{where} needs exactly one of path= or query=")
        if self.path is not None:
            if not isinstance(self.path, str | os.PathLike) or not str(self.path):
                raise InvalidSpec(f"{where}: path must be a file or folder path")
            object.__setattr__(self, "path", os.path.abspath(os.fspath(self.path)))
        if self.query is not None and (not isinstance(self.query, str) or not self.query.strip()):
            raise InvalidSpec(f"{where}: query must be a non-empty SQL string")
        _check_column(where, "entity", self.entity)
        _check_column(where, "timestamp", self.timestamp)
        _check_column(where, "created_at", self.created_at, optional=True)
        if self.format is not None and self.format not in _FORMATS:
            # A third-party reader (entry-point group ``jupyter_bighead.feature_sources``),
            # named by the format it reads; looked up only for a format not built in.
            import jupyter_bighead.plugins as plugins

            others = sorted(set(plugins.names("feature_source")) - {*_FORMATS, "sql",
                                                                     "parquet_dir"})
            if not isinstance(self.format, str) or self.format not in others:
                raise InvalidSpec(
                    f"{where}: format must be one of {(*_FORMATS, *others)} or None, "
                    f"not {self.format!r}"
                )

    @property
    def kind(self) -> str:
        """``"sql"``, ``"csv"``, ``"parquet"`` (a file), ``"parquet_dir"`` (a folder), or
        the name of a third-party format (with a path or a query)."""
        if self.format is not None and self.format not in _FORMATS:
            return self.format
        if self.query is not None:
            return "sql"
        if self.format is not None:
            fmt = self.format
        else:
            fmt = "csv" if str(self.path).lower().endswith((".csv", ".csv.gz")) else "parquet"
        if fmt == "parquet" and os.path.isdir(str(self.path)):
            return "parquet_dir"
        return fmt

    def to_dict(self) -> dict[str, Any]:
        """The definition as plain JSON-ready data."""
        return {
            "name": self.name,
            "path": self.path,
            "query": self.query,
            "entity": self.entity,
            "timestamp": self.timestamp,
            "created_at": self.created_at,
            "format": self.format,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EventSource:
        """Rebuild a source from :meth:`to_dict` output."""
        return cls(
            name=data["name"],
            path=data.get("path"),
            entity=data.get("entity") or "entity",
            timestamp=data.get("timestamp") or "ts",
            created_at=data.get("created_at"),
            query=data.get("query"),
            format=data.get("format"),
        )

    def semantic_key(self) -> dict[str, Any]:
        """What changes the source's meaning (its name is only a label)."""
        data = self.to_dict()
        data.pop("name")
        return data


@dataclass(frozen=True)
class Feature:
    """A named, versioned aggregation of one column of an :class:`EventSource`.

    ``agg`` is one of :data:`AGGS`; ``column`` may be ``None`` only for ``count``
    (then every event counts). ``window`` is a duration string (see
    :func:`parse_window`) or ``None`` for all history. ``version`` must be bumped
    whenever the definition under an existing name changes. ``owner``,
    ``description`` and ``tags`` are catalog metadata: they do not change values.

    Raises
    ------
    InvalidSpec
        On a bad name, an unknown agg, a malformed window, a missing column, a
        non-positive version or non-string tags.
    """

    name: str
    source: EventSource
    column: str | None = None
    agg: str = "sum"
    window: str | None = None
    version: int = 1
    owner: str | None = None
    description: str = ""
    tags: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        _check_name("feature", self.name)
        where = f"feature {self.name!r}"
        if not isinstance(self.source, EventSource):
            raise InvalidSpec(
                f"{where}: source must be an EventSource, not {type(self.source).__name__}"
            )
        if self.agg not in AGGS:
            import difflib

            close = difflib.get_close_matches(str(self.agg), AGGS, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise InvalidSpec(
                f"{where}: unknown agg {self.agg!r}{hint}; use one of {', '.join(AGGS)}"
            )
        _check_column(where, "column", self.column, optional=self.agg == "count")
        parse_window(self.window, feature=self.name)
        if isinstance(self.version, bool) or not isinstance(self.version, int) or self.version < 1:
            raise InvalidSpec(f"{where}: version must be an integer >= 1, not {self.version!r}")
        tags = (self.tags,) if isinstance(self.tags, str) else tuple(self.tags or ())
        if not all(isinstance(t, str) and t for t in tags):
            raise InvalidSpec(f"{where}: tags must be non-empty strings")
        object.__setattr__(self, "tags", tags)
        if self.owner is not None and not isinstance(self.owner, str):
            raise InvalidSpec(f"{where}: owner must be a string")
        if not isinstance(self.description, str):
            raise InvalidSpec(f"{where}: description must be a string")

    @property
    def window_ns(self) -> int | None:
        """The window in nanoseconds, ``None`` for all history."""
        return parse_window(self.window)

    def semantic_key(self) -> dict[str, Any]:
        """What determines the feature's values (metadata excluded)."""
        return {
            "source": self.source.semantic_key(),
            "column": self.column,
            "agg": self.agg,
            "window_ns": self.window_ns,
        }

    def definition_hash(self) -> str:
        """A stable SHA-256 of :meth:`semantic_key`: equal hashes mean equal values."""
        blob = json.dumps(self.semantic_key(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()

    def to_dict(self) -> dict[str, Any]:
        """The full definition, metadata included, as plain JSON-ready data."""
        return {
            "name": self.name,
            "version": self.version,
            "source": self.source.to_dict(),
            "column": self.column,
            "agg": self.agg,
            "window": self.window,
            "owner": self.owner,
            "description": self.description,
            "tags": list(self.tags),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Feature:
        """Rebuild a feature from :meth:`to_dict` output."""
        return cls(
            name=data["name"],
            source=EventSource.from_dict(data["source"]),
            column=data.get("column"),
            agg=data.get("agg", "sum"),
            window=data.get("window"),
            version=int(data.get("version", 1)),
            owner=data.get("owner"),
            description=data.get("description") or "",
            tags=tuple(data.get("tags") or ()),
        )


def split_ref(ref: str, *, warn: bool = False) -> tuple[str, int | None]:
    """``"name:N"`` (or the old ``"name@N"``) as ``("name", N)``; a plain name gives
    ``(name, None)``. Kept for old imports: see :func:`jupyter_bighead.refs.parse_feature_ref`
    (``warn`` is passed on; the default reads stored references silently).

    Raises
    ------
    InvalidSpec
        If the reference is not a string or the version is not a positive integer.
    """
    return tuple(parse_feature_ref(ref, warn=warn))  # type: ignore[return-value]
