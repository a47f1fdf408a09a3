"""The embedded store: one SQLite file in WAL mode.

WAL lets readers (the Models panel) proceed while a registration writes. Writers
use ``BEGIN IMMEDIATE`` so the write lock is taken before the first read of the
transaction (no lock upgrades, hence no deadlock-style ``SQLITE_BUSY`` mid-way), and
a busy database is retried with backoff on top of SQLite's own ``busy_timeout``.
"""

from __future__ import annotations

import os
import random
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from ..errors import Conflict, InvalidSpec
from .sqlstore import SqlStore, Tx

R = TypeVar("R")
BUSY_TIMEOUT_MS = 10_000
RETRY_FOR_S = 60.0


class _SqliteTx(Tx):
    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self._conn.execute(sql, tuple(params)).fetchall()


class SqliteStore(SqlStore):
    """A :class:`~.store.Store` in the SQLite file named by ``sqlite:///ABS/PATH.db``.

    Parameters
    ----------
    uri
        ``sqlite:///ABS/PATH.db``; the folder is created if missing.
    busy_timeout_ms
        How long SQLite itself waits for a lock before reporting the database busy.
    retry_for_s
        How long a busy transaction is retried (with backoff) before ``Conflict``.
    """

    autoid = "INTEGER PRIMARY KEY AUTOINCREMENT"
    capabilities = frozenset({"transactions"})

    def __init__(self, uri: str, busy_timeout_ms: int = BUSY_TIMEOUT_MS,
                 retry_for_s: float = RETRY_FOR_S) -> None:
        if busy_timeout_ms < 0 or retry_for_s < 0:
            raise InvalidSpec("busy_timeout_ms and retry_for_s must not be negative")
        self.uri = uri
        self.busy_timeout_ms = int(busy_timeout_ms)
        self.retry_for_s = float(retry_for_s)
        path = uri[len("sqlite:///"):]
        if not path:
            raise InvalidSpec(f"sqlite URI {uri!r} names no file")
        # sqlite:////abs/path.db is absolute (what BigheadHome writes); sqlite:///rel.db not.
        self.path = Path(path).resolve()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._run(self._create_schema, write=True)

    def _connection(self) -> sqlite3.Connection:
        # One connection per thread and process: sqlite3 connections must not cross
        # threads, and a connection inherited through fork() must never be used.
        conn = getattr(self._local, "conn", None)
        if conn is None or self._local.pid != os.getpid():
            conn = sqlite3.connect(self.path, timeout=self.busy_timeout_ms / 1000,
                                   isolation_level=None)
            conn.execute(f"PRAGMA busy_timeout = {self.busy_timeout_ms}")
            conn.execute("PRAGMA foreign_keys = ON")
            if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")  # durable enough in WAL mode
            self._local.conn, self._local.pid = conn, os.getpid()
        return conn

    @contextmanager
    def _transaction(self, write: bool) -> Iterator[Tx]:
        conn = self._connection()
        conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
        try:
            yield _SqliteTx(conn)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def _run(self, fn: Callable[[Tx], R], write: bool = False) -> R:
        deadline = time.monotonic() + self.retry_for_s
        delay = 0.01
        while True:
            try:
                with self._transaction(write) as tx:
                    return fn(tx)
            except sqlite3.OperationalError as exc:
                busy = "locked" in str(exc) or "busy" in str(exc)
                if not busy:
                    raise
                if time.monotonic() > deadline:
                    raise Conflict(f"the registry database {self.path} stayed locked") from exc
                time.sleep(delay * (1 + random.random()))
                delay = min(delay * 2, 0.5)

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
