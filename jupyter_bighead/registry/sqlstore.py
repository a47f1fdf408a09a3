"""The SQL shared by the SQLite and PostgreSQL stores.

Both dialects run the same statements, written with ``?`` placeholders (the
PostgreSQL store rewrites them to ``%s``). JSON values are stored as text and
timestamps as ISO 8601 UTC strings, which sort correctly as text in both.

Versions are allocated with one upsert on ``models`` that increments
``last_version`` and returns it. In PostgreSQL the upsert row-locks the model until
commit; SQLite's ``BEGIN IMMEDIATE`` takes the database write lock up front. Either
way concurrent registrations of one name are serialised, and because allocation and
insert commit together, a crash never leaves a numbered version without its row.
"""

from __future__ import annotations

import abc
import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Any, TypeVar

from ..errors import Conflict, NotFound
from ._hooks import crash_point
from .domain import AliasEvent, ArtifactFile, ModelSummary, ModelVersion
from .store import NewVersion, Store

R = TypeVar("R")
SCHEMA_VERSION = 1
NO_LIMIT = 2**62

SCHEMA = """
CREATE TABLE IF NOT EXISTS bighead_meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS models (
    name TEXT PRIMARY KEY,
    last_version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS model_versions (
    name TEXT NOT NULL REFERENCES models (name),
    version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    flavor TEXT NOT NULL,
    model_class TEXT NOT NULL,
    task TEXT NOT NULL,
    description TEXT NOT NULL,
    artifact_dir TEXT NOT NULL UNIQUE,
    params TEXT NOT NULL,
    metrics TEXT NOT NULL,
    tags TEXT NOT NULL,
    features TEXT NOT NULL,
    input_schema TEXT NOT NULL,
    dataset TEXT,
    lineage TEXT NOT NULL,
    evaluation TEXT,
    PRIMARY KEY (name, version)
);
CREATE TABLE IF NOT EXISTS artifacts (
    name TEXT NOT NULL,
    version INTEGER NOT NULL,
    path TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size BIGINT NOT NULL,
    PRIMARY KEY (name, version, path),
    FOREIGN KEY (name, version) REFERENCES model_versions (name, version)
);
CREATE TABLE IF NOT EXISTS aliases (
    name TEXT NOT NULL,
    alias TEXT NOT NULL,
    version INTEGER NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    PRIMARY KEY (name, alias),
    FOREIGN KEY (name, version) REFERENCES model_versions (name, version)
);
CREATE TABLE IF NOT EXISTS alias_events (
    id {autoid},
    name TEXT NOT NULL,
    alias TEXT NOT NULL,
    from_version INTEGER,
    to_version INTEGER,
    action TEXT NOT NULL,
    at TEXT NOT NULL,
    by_user TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS alias_events_by_name ON alias_events (name, alias, id);
"""

VERSION_COLUMNS = (
    "name, version, created_at, created_by, flavor, model_class, task, description, "
    "artifact_dir, params, metrics, tags, features, input_schema, dataset, lineage"
)


class Tx(abc.ABC):
    """One open transaction; ``execute`` returns all rows (empty for DML)."""

    @abc.abstractmethod
    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...

    def one(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        rows = self.execute(sql, params)
        return rows[0] if rows else None


def _dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=False)


def _loads(text: str | None) -> Any:
    return None if text is None else json.loads(text)


class SqlStore(Store):
    """A :class:`Store` over a DB-API connection; subclasses provide transactions."""

    #: Column type of ``alias_events.id``.
    autoid = "INTEGER PRIMARY KEY"

    @abc.abstractmethod
    def _transaction(self, write: bool) -> AbstractContextManager[Tx]:
        """A context manager for one transaction that commits on success."""

    def _run(self, fn: Callable[[Tx], R], write: bool = False) -> R:
        """Run ``fn`` in one transaction. Subclasses add retries on lock contention."""
        with self._transaction(write) as tx:
            return fn(tx)

    def _create_schema(self, tx: Tx) -> None:
        for statement in iter_statements(SCHEMA.format(autoid=self.autoid)):
            tx.execute(statement)
        row = tx.one("SELECT value FROM bighead_meta WHERE key = 'schema_version'")
        if row is None:
            tx.execute(
                "INSERT INTO bighead_meta (key, value) VALUES ('schema_version', ?)",
                (str(SCHEMA_VERSION),),
            )
        elif int(row[0]) > SCHEMA_VERSION:
            raise Conflict(
                f"the registry at {self.uri} has schema version {row[0]}; this "
                f"jupyter-bighead understands up to {SCHEMA_VERSION}: upgrade jupyter-bighead"
            )

    # ---- versions -------------------------------------------------------------------

    def create_version(self, new: NewVersion) -> ModelVersion:
        def work(tx: Tx) -> int:
            row = tx.one(
                "INSERT INTO models (name, last_version, created_at, updated_at) "
                "VALUES (?, 1, ?, ?) ON CONFLICT (name) DO UPDATE SET "
                "last_version = models.last_version + 1, updated_at = excluded.updated_at "
                "RETURNING last_version",
                (new.name, new.created_at, new.created_at),
            )
            assert row is not None
            version = int(row[0])
            crash_point("allocated")
            tx.execute(
                f"INSERT INTO model_versions ({VERSION_COLUMNS}, evaluation) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    new.name, version, new.created_at, new.created_by, new.flavor,
                    new.model_class, new.task, new.description, new.artifact_dir,
                    _dumps(dict(new.params)), _dumps(dict(new.metrics)), _dumps(dict(new.tags)),
                    _dumps(list(new.features)), _dumps([list(c) for c in new.input_schema]),
                    None if new.dataset is None else _dumps(dict(new.dataset)),
                    _dumps(dict(new.lineage)),
                    None if new.evaluation is None else _dumps(dict(new.evaluation)),
                ),
            )
            for art in new.artifacts:
                tx.execute(
                    "INSERT INTO artifacts (name, version, path, sha256, size) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (new.name, version, art.path, art.sha256, art.size),
                )
            crash_point("inserted")
            return version

        version = self._run(work, write=True)
        return self.get_version(new.name, version)

    def _versions(self, tx: Tx, rows: list[tuple[Any, ...]]) -> list[ModelVersion]:
        if not rows:
            return []
        name = rows[0][0]
        lo, hi = min(r[1] for r in rows), max(r[1] for r in rows)
        files: dict[int, list[ArtifactFile]] = {}
        for v, path, sha, size in tx.execute(
            "SELECT version, path, sha256, size FROM artifacts "
            "WHERE name = ? AND version BETWEEN ? AND ? ORDER BY version, path",
            (name, lo, hi),
        ):
            files.setdefault(int(v), []).append(ArtifactFile(path, sha, int(size)))
        names: dict[int, list[str]] = {}
        for alias, v in tx.execute(
            "SELECT alias, version FROM aliases WHERE name = ? ORDER BY alias", (name,)
        ):
            names.setdefault(int(v), []).append(alias)
        out = []
        for r in rows:
            version = int(r[1])
            out.append(
                ModelVersion(
                    name=r[0], version=version, created_at=r[2], created_by=r[3], flavor=r[4],
                    model_class=r[5], task=r[6], description=r[7],
                    params=_loads(r[9]), metrics=_loads(r[10]), tags=_loads(r[11]),
                    features=tuple(_loads(r[12])),
                    input_schema=tuple((c[0], c[1]) for c in _loads(r[13])),
                    dataset=_loads(r[14]), lineage=_loads(r[15]),
                    artifacts=tuple(files.get(version, ())),
                    aliases=tuple(names.get(version, ())),
                )
            )
        return out

    def _require_model(self, tx: Tx, name: str) -> None:
        if tx.one("SELECT 1 FROM models WHERE name = ?", (name,)) is None:
            raise NotFound(f"no model named {name!r}")

    def _require_version(self, tx: Tx, name: str, version: int) -> None:
        if tx.one("SELECT 1 FROM model_versions WHERE name = ? AND version = ?",
                  (name, version)) is None:
            self._require_model(tx, name)
            raise NotFound(f"model {name!r} has no version {version}")

    def get_version(self, name: str, version: int) -> ModelVersion:
        def work(tx: Tx) -> ModelVersion:
            rows = tx.execute(
                f"SELECT {VERSION_COLUMNS} FROM model_versions WHERE name = ? AND version = ?",
                (name, version),
            )
            if not rows:
                self._require_version(tx, name, version)
            return self._versions(tx, rows)[0]

        return self._run(work)

    def get_artifact_dir(self, name: str, version: int) -> str:
        def work(tx: Tx) -> str:
            row = tx.one(
                "SELECT artifact_dir FROM model_versions WHERE name = ? AND version = ?",
                (name, version),
            )
            if row is None:
                self._require_version(tx, name, version)
            assert row is not None
            return str(row[0])

        return self._run(work)

    def list_versions(
        self, name: str, *, limit: int | None, offset: int, before: int | None
    ) -> tuple[list[ModelVersion], int]:
        def work(tx: Tx) -> tuple[list[ModelVersion], int]:
            self._require_model(tx, name)
            total = tx.one("SELECT COUNT(*) FROM model_versions WHERE name = ?", (name,))
            rows = tx.execute(
                f"SELECT {VERSION_COLUMNS} FROM model_versions WHERE name = ? AND version < ? "
                "ORDER BY version DESC LIMIT ? OFFSET ?",
                (name, NO_LIMIT if before is None else before,
                 NO_LIMIT if limit is None else limit, offset),
            )
            return self._versions(tx, rows), int(total[0]) if total else 0

        return self._run(work)

    def get_evaluation(self, name: str, version: int) -> dict[str, Any] | None:
        def work(tx: Tx) -> dict[str, Any] | None:
            row = tx.one(
                "SELECT evaluation FROM model_versions WHERE name = ? AND version = ?",
                (name, version),
            )
            if row is None:
                self._require_version(tx, name, version)
            return None if row is None else _loads(row[0])

        return self._run(work)

    # ---- models ---------------------------------------------------------------------

    def _summaries(self, tx: Tx, rows: list[tuple[Any, ...]]) -> list[ModelSummary]:
        names = [r[0] for r in rows]
        found: dict[str, dict[str, int]] = {n: {} for n in names}
        if names:
            marks = ", ".join("?" for _ in names)
            for n, alias, v in tx.execute(
                f"SELECT name, alias, version FROM aliases WHERE name IN ({marks}) "
                "ORDER BY name, alias",
                names,
            ):
                found[n][alias] = int(v)
        return [
            ModelSummary(name=r[0], latest_version=int(r[1]), created_at=r[2], updated_at=r[3],
                         aliases=found[r[0]])
            for r in rows
        ]

    def get_model(self, name: str) -> ModelSummary:
        def work(tx: Tx) -> ModelSummary:
            rows = tx.execute(
                "SELECT name, last_version, created_at, updated_at FROM models WHERE name = ?",
                (name,),
            )
            if not rows:
                raise NotFound(f"no model named {name!r}")
            return self._summaries(tx, rows)[0]

        return self._run(work)

    def list_models(
        self, *, limit: int | None, offset: int, after: str | None, prefix: str | None
    ) -> tuple[list[ModelSummary], int]:
        # Model names cannot contain LIKE wildcards except '_', which we escape.
        pattern = "%" if not prefix else prefix.replace("_", "\\_") + "%"

        def work(tx: Tx) -> tuple[list[ModelSummary], int]:
            total = tx.one("SELECT COUNT(*) FROM models WHERE name LIKE ? ESCAPE '\\'",
                           (pattern,))
            rows = tx.execute(
                "SELECT name, last_version, created_at, updated_at FROM models "
                "WHERE name LIKE ? ESCAPE '\\' AND name > ? ORDER BY name LIMIT ? OFFSET ?",
                (pattern, after or "", NO_LIMIT if limit is None else limit, offset),
            )
            return self._summaries(tx, rows), int(total[0]) if total else 0

        return self._run(work)

    # ---- aliases --------------------------------------------------------------------

    def set_alias(
        self,
        name: str,
        alias: str,
        version: int | None,
        *,
        by: str,
        at: str,
        action: str = "set",
        expected: int | object | None = ...,
    ) -> AliasEvent:
        def work(tx: Tx) -> AliasEvent:
            if version is not None:
                self._require_version(tx, name, version)
            else:
                self._require_model(tx, name)
            # Lock the model row so alias moves on one model are serialised.
            tx.execute("UPDATE models SET updated_at = updated_at WHERE name = ?", (name,))
            row = tx.one("SELECT version FROM aliases WHERE name = ? AND alias = ?",
                         (name, alias))
            current = None if row is None else int(row[0])
            if expected is not ... and expected != current:
                raise Conflict(
                    f"alias {alias!r} of {name!r} moved meanwhile (now {current}); try again"
                )
            if version is None:
                if current is None:
                    raise NotFound(f"model {name!r} has no alias {alias!r}")
                tx.execute("DELETE FROM aliases WHERE name = ? AND alias = ?", (name, alias))
            elif current is None:
                tx.execute(
                    "INSERT INTO aliases (name, alias, version, updated_at, updated_by) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (name, alias, version, at, by),
                )
            else:
                tx.execute(
                    "UPDATE aliases SET version = ?, updated_at = ?, updated_by = ? "
                    "WHERE name = ? AND alias = ?",
                    (version, at, by, name, alias),
                )
            event = tx.one(
                "INSERT INTO alias_events (name, alias, from_version, to_version, action, at, "
                "by_user) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (name, alias, current, version, action, at, by),
            )
            assert event is not None
            return AliasEvent(int(event[0]), name, alias, current, version, action, at, by)

        return self._run(work, write=True)

    def aliases(self, name: str) -> dict[str, int]:
        def work(tx: Tx) -> dict[str, int]:
            self._require_model(tx, name)
            rows = tx.execute("SELECT alias, version FROM aliases WHERE name = ? ORDER BY alias",
                              (name,))
            return {a: int(v) for a, v in rows}

        return self._run(work)

    def alias_history(
        self, name: str, alias: str | None, *, limit: int | None, offset: int
    ) -> tuple[list[AliasEvent], int]:
        where = "name = ?" + ("" if alias is None else " AND alias = ?")
        params: list[Any] = [name] if alias is None else [name, alias]

        def work(tx: Tx) -> tuple[list[AliasEvent], int]:
            self._require_model(tx, name)
            total = tx.one(f"SELECT COUNT(*) FROM alias_events WHERE {where}", params)
            rows = tx.execute(
                "SELECT id, name, alias, from_version, to_version, action, at, by_user "
                f"FROM alias_events WHERE {where} ORDER BY id DESC LIMIT ? OFFSET ?",
                [*params, NO_LIMIT if limit is None else limit, offset],
            )
            events = [
                AliasEvent(int(r[0]), r[1], r[2], None if r[3] is None else int(r[3]),
                           None if r[4] is None else int(r[4]), r[5], r[6], r[7])
                for r in rows
            ]
            return events, int(total[0]) if total else 0

        return self._run(work)

    def artifact_dirs(self) -> set[str]:
        return self._run(
            lambda tx: {r[0] for r in tx.execute("SELECT artifact_dir FROM model_versions")}
        )


def iter_statements(script: str) -> Iterator[str]:
    """The non-empty statements of a ``;``-separated script."""
    for statement in script.split(";"):
        if statement.strip():
            yield statement
