"""The feature catalog: every version of every definition, in one SQLite file.

The file is ``<repo>/catalog.db`` in WAL mode, so readers (the Features panel) never
block a writer (a notebook's ``apply``). Each call opens its own short connection,
which keeps the catalog safe to use from server threads. ``apply`` runs in one
``BEGIN IMMEDIATE`` transaction: it checks and writes all features or none.

Table ``feature_versions`` (primary key ``(name, version)``): ``def_hash`` (the
SHA-256 of the value-shaping part of the definition), ``definition`` (the full
definition as JSON), ``owner``, ``description``, ``tags`` (JSON list) and
``created_at`` (ISO 8601, UTC).
"""

from __future__ import annotations

import difflib
import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..errors import Conflict, InvalidSpec, NotFound
from ..refs import parse_feature_ref
from .spec import Feature

SCHEMA = """
CREATE TABLE IF NOT EXISTS feature_versions (
    name TEXT NOT NULL,
    version INTEGER NOT NULL,
    def_hash TEXT NOT NULL,
    definition TEXT NOT NULL,
    owner TEXT,
    description TEXT NOT NULL DEFAULT '',
    tags TEXT NOT NULL DEFAULT '[]',
    created_at TEXT NOT NULL,
    PRIMARY KEY (name, version)
);
CREATE TABLE IF NOT EXISTS catalog_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT OR IGNORE INTO catalog_meta (key, value) VALUES ('schema_version', '1');
"""


class Catalog:
    """Versioned feature definitions stored in ``path`` (a SQLite file)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as con:
            con.execute("PRAGMA journal_mode=WAL")
            con.executescript(SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        with closing(sqlite3.connect(self.path, timeout=30, isolation_level=None)) as con:
            con.row_factory = sqlite3.Row
            yield con

    # -- writing ---------------------------------------------------------------------
    def apply(self, features: Sequence[Feature], *, owner: str) -> list[dict[str, Any]]:
        """Store new definitions and versions; see :meth:`FeatureRepo.apply`.

        Raises
        ------
        InvalidSpec
            If a name appears twice in ``features``.
        Conflict
            If a stored ``(name, version)`` holds a different definition, or a new
            version is not above the latest one.
        """
        seen: dict[str, int] = {}
        for i, feature in enumerate(features):
            if not isinstance(feature, Feature):
                raise InvalidSpec(f"apply() item {i} is a {type(feature).__name__}, not a Feature")
            if feature.name in seen:
                raise InvalidSpec(
                    f"feature name {feature.name!r} appears twice in one apply "
                    f"(items {seen[feature.name]} and {i})"
                )
            seen[feature.name] = i
        results: list[dict[str, Any]] = []
        now = datetime.now(UTC).isoformat(timespec="seconds")
        with self._connect() as con:
            con.execute("BEGIN IMMEDIATE")
            try:
                for feature in features:
                    results.append(self._apply_one(con, feature, owner, now))
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
        return results

    def _apply_one(
        self, con: sqlite3.Connection, feature: Feature, owner: str, now: str
    ) -> dict[str, Any]:
        digest = feature.definition_hash()
        definition = feature.to_dict()
        definition["owner"] = feature.owner or owner
        rows = con.execute(
            "SELECT version, def_hash FROM feature_versions WHERE name = ? ORDER BY version",
            (feature.name,),
        ).fetchall()
        stored = {int(r["version"]): r["def_hash"] for r in rows}
        latest = max(stored) if stored else 0
        meta = (definition["owner"], feature.description, json.dumps(list(feature.tags)))
        if feature.version in stored:
            if stored[feature.version] != digest:
                old = self._definition(con, feature.name, feature.version)
                changes = ", ".join(
                    f"{c['field']}: {c['old']!r} -> {c['new']!r}"
                    for c in diff_definitions(old, definition)
                    if c["field"] not in _METADATA
                )
                raise Conflict(
                    f"feature {feature.name!r} version {feature.version} already exists with a "
                    f"different definition ({changes}); pass version={latest + 1} to add a new "
                    "version (old versions stay materializable)"
                )
            con.execute(
                "UPDATE feature_versions SET owner = ?, description = ?, tags = ?, "
                "definition = ? WHERE name = ? AND version = ?",
                (*meta, json.dumps(definition, sort_keys=True), feature.name, feature.version),
            )
            return {"name": feature.name, "version": feature.version, "status": "unchanged"}
        if feature.version < latest:
            raise Conflict(
                f"feature {feature.name!r} is at version {latest}; a new definition needs "
                f"version={latest + 1}, not {feature.version}"
            )
        con.execute(
            "INSERT INTO feature_versions (name, version, def_hash, definition, owner, "
            "description, tags, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                feature.name,
                feature.version,
                digest,
                json.dumps(definition, sort_keys=True),
                *meta,
                now,
            ),
        )
        return {"name": feature.name, "version": feature.version, "status": "created"}

    # -- reading ---------------------------------------------------------------------
    def _definition(self, con: sqlite3.Connection, name: str, version: int) -> dict[str, Any]:
        row = con.execute(
            "SELECT definition FROM feature_versions WHERE name = ? AND version = ?",
            (name, version),
        ).fetchone()
        if row is None:
            raise NotFound(f"feature {name!r} has no version {version}")
        result: dict[str, Any] = json.loads(row["definition"])
        return result

    def names(self) -> list[str]:
        with self._connect() as con:
            rows = con.execute("SELECT DISTINCT name FROM feature_versions ORDER BY name")
            return [r["name"] for r in rows]

    def resolve(self, ref: str) -> tuple[Feature, str, dict[str, Any]]:
        """The feature a reference (``name`` or ``name:N``; the old ``name@N`` warns, see
        :mod:`jupyter_bighead.refs`) selects, its hash and its row.

        Raises
        ------
        NotFound
            If the name or version is unknown; the message suggests close names.
        """
        name, version = parse_feature_ref(ref)
        with self._connect() as con:
            row = _fetch(con, name, version)
            if row is None:
                known = [
                    r["version"]
                    for r in con.execute(
                        "SELECT version FROM feature_versions WHERE name = ? ORDER BY version",
                        (name,),
                    )
                ]
        if row is None:
            if known:
                raise NotFound(f"feature {name!r} has no version {version}; it has {known}")
            close = difflib.get_close_matches(name, self.names(), n=3)
            hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
            raise NotFound(f"unknown feature {name!r}{hint}")
        feature = Feature.from_dict(json.loads(row["definition"]))
        return feature, row["def_hash"], _row(row)

    def resolve_many(self, refs: Sequence[str]) -> list[tuple[Feature, str, dict[str, Any]]]:
        """:meth:`resolve` for each reference, over one connection.

        Raises
        ------
        NotFound
            If a name or version is unknown (as :meth:`resolve` does).
        """
        out = []
        with self._connect() as con:
            for ref in refs:
                row = _fetch(con, *parse_feature_ref(ref))
                if row is None:
                    break
                feature = Feature.from_dict(json.loads(row["definition"]))
                out.append((feature, row["def_hash"], _row(row)))
        # an unknown reference raises NotFound with the usual message here
        out.extend(self.resolve(ref) for ref in refs[len(out) :])
        return out

    def versions(self, name: str) -> list[dict[str, Any]]:
        """Every version of ``name``, oldest first, as plain dicts.

        Raises
        ------
        NotFound
            If no feature has that name.
        """
        with self._connect() as con:
            rows = con.execute(
                "SELECT * FROM feature_versions WHERE name = ? ORDER BY version", (name,)
            ).fetchall()
        if not rows:
            self.resolve(name)  # raises NotFound with suggestions
        return [_row(r) for r in rows]

    def search(
        self, text: str | None = None, *, tag: str | None = None, owner: str | None = None
    ) -> list[dict[str, Any]]:
        """The latest version of every feature matching all given filters.

        ``text`` matches case-insensitively a substring of the name, the description,
        a tag or the owner; ``tag`` and ``owner`` must match exactly.
        """
        with self._connect() as con:
            rows = con.execute(
                "SELECT f.*, (SELECT COUNT(*) FROM feature_versions g WHERE g.name = f.name) "
                "AS n_versions FROM feature_versions f WHERE f.version = "
                "(SELECT MAX(version) FROM feature_versions h WHERE h.name = f.name) "
                "ORDER BY f.name"
            ).fetchall()
        needle = (text or "").strip().lower()
        out = []
        for r in rows:
            item = _row(r)
            item["n_versions"] = int(r["n_versions"])
            if tag is not None and tag not in item["tags"]:
                continue
            if owner is not None and item["owner"] != owner:
                continue
            hay = [item["name"], item["description"], item["owner"] or "", *item["tags"]]
            if needle and not any(needle in h.lower() for h in hay):
                continue
            out.append(item)
        return out

    def diff(self, name: str, a: int, b: int) -> list[dict[str, Any]]:
        """Field-by-field changes from version ``a`` to ``b`` of ``name``.

        Raises
        ------
        NotFound
            If the feature or either version is unknown.
        """
        with self._connect() as con:
            old = self._definition(con, name, a)
            new = self._definition(con, name, b)
        return diff_definitions(old, new)


_METADATA = frozenset({"owner", "description", "tags", "version"})


def _row(row: sqlite3.Row) -> dict[str, Any]:
    definition = json.loads(row["definition"])
    return {
        "name": row["name"],
        "version": int(row["version"]),
        "def_hash": row["def_hash"],
        "owner": row["owner"],
        "description": row["description"],
        "tags": json.loads(row["tags"]),
        "created_at": row["created_at"],
        "definition": definition,
    }


def _flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def diff_definitions(old: dict[str, Any], new: dict[str, Any]) -> list[dict[str, Any]]:
    """Changed fields between two definitions: ``[{"field", "old", "new"}]``, sorted by field."""
    a, b = _flatten(old), _flatten(new)
    return [
        {"field": key, "old": a.get(key), "new": b.get(key)}
        for key in sorted(set(a) | set(b))
        if a.get(key) != b.get(key)
    ]


def _fetch(con: Any, name: str, version: int | None) -> Any:
    """The row of ``name@version``, or of its latest version when ``version`` is None."""
    if version is None:
        return con.execute(
            "SELECT * FROM feature_versions WHERE name = ? ORDER BY version DESC LIMIT 1",
            (name,),
        ).fetchone()
    return con.execute(
        "SELECT * FROM feature_versions WHERE name = ? AND version = ?", (name, version)
    ).fetchone()
