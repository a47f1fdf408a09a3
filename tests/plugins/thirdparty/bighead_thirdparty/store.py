"""A registry store in this process's memory: ``memory://NAME``.

Built on the public :class:`~jupyter_bighead.registry.sqlstore.SqlStore` (the SQL both
built-in stores share) over one in-memory SQLite database per name; every store opened
on the same name in this process sees the same records, until the process ends.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, ClassVar

from jupyter_bighead.errors import Conflict, InvalidSpec
from jupyter_bighead.registry.sqlstore import SqlStore, Tx

_DATABASES: dict[str, tuple[sqlite3.Connection, threading.Lock]] = {}
_OPEN = threading.Lock()


class _Tx(Tx):
    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self._conn.execute(sql, tuple(params)).fetchall()


class MemoryStore(SqlStore):
    """Registry records in memory, shared by name within the process.

    Parameters
    ----------
    uri
        ``memory://NAME``.
    lock_timeout_s
        How long a transaction waits for the database before ``Conflict``.
    """

    autoid = "INTEGER PRIMARY KEY AUTOINCREMENT"
    capabilities: ClassVar[frozenset[str]] = frozenset({"transactions"})

    def __init__(self, uri: str, lock_timeout_s: float = 10.0) -> None:
        name = uri.partition("://")[2]
        if not name or "/" in name:
            raise InvalidSpec(f"memory store URI {uri!r}: write memory://NAME")
        if lock_timeout_s <= 0:
            raise InvalidSpec("lock_timeout_s must be positive")
        self.uri = uri
        self.lock_timeout_s = float(lock_timeout_s)
        with _OPEN:
            if name not in _DATABASES:
                conn = sqlite3.connect(":memory:", check_same_thread=False,
                                       isolation_level=None)
                conn.execute("PRAGMA foreign_keys = ON")
                _DATABASES[name] = (conn, threading.Lock())
            self._conn, self._lock = _DATABASES[name]
        self._run(self._create_schema, write=True)

    @contextmanager
    def _transaction(self, write: bool) -> Iterator[Tx]:
        if not self._lock.acquire(timeout=self.lock_timeout_s):
            raise Conflict(f"the memory registry {self.uri} stayed busy")
        try:
            self._conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield _Tx(self._conn)
                self._conn.execute("COMMIT")
            except BaseException:
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                raise
        finally:
            self._lock.release()
