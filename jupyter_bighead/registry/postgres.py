"""The PostgreSQL store, for a registry shared by many users and servers.

Needs ``psycopg`` (version 3), imported only when such a store is opened. The
schema is created on first use under an advisory lock so that many processes may
open a fresh database at once.
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from ..errors import Conflict, InvalidSpec
from .sqlstore import SqlStore, Tx

R = TypeVar("R")
RETRY_FOR_S = 30.0
#: Arbitrary constant key for pg_advisory_xact_lock while creating the schema.
SCHEMA_LOCK_KEY = 0x62696768656164  # "bighead"


class _PgTx(Tx):
    def __init__(self, conn: Any) -> None:
        self._conn = conn

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        # Our statements use '?' placeholders and contain no literal '?' or '%'.
        cur = self._conn.execute(sql.replace("%", "%%").replace("?", "%s"), tuple(params))
        return cur.fetchall() if cur.description is not None else []


class PostgresStore(SqlStore):
    """A :class:`~.store.Store` in the PostgreSQL database named by ``postgresql://…``.

    Parameters
    ----------
    uri
        ``postgresql://user:pass@host/db`` (also ``postgres://`` and
        ``postgresql+psycopg://``).
    connect_timeout
        Seconds to wait for a connection (default: libpq's, unless the URI says).
    retry_for_s
        How long conflicting transactions are retried (with backoff) before ``Conflict``.
    """

    autoid = "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY"
    capabilities = frozenset({"shared", "transactions"})

    def __init__(self, uri: str, connect_timeout: float | None = None,
                 retry_for_s: float = RETRY_FOR_S) -> None:
        if (connect_timeout is not None and connect_timeout <= 0) or retry_for_s < 0:
            raise InvalidSpec("connect_timeout must be positive and retry_for_s not negative")
        self.connect_timeout = connect_timeout
        self.retry_for_s = float(retry_for_s)
        try:
            import psycopg  # noqa: F401
        except ImportError as exc:
            raise InvalidSpec(
                "a postgresql:// registry needs psycopg 3: pip install 'psycopg[binary]'"
            ) from exc
        self.uri = uri.replace("postgresql+psycopg://", "postgresql://", 1)
        self._local = threading.local()

        def create(tx: Tx) -> None:
            tx.execute("SELECT pg_advisory_xact_lock(?)", (SCHEMA_LOCK_KEY,))
            self._create_schema(tx)

        self._run(create, write=True)

    def _connection(self) -> Any:
        import psycopg

        conn = getattr(self._local, "conn", None)
        if conn is None or conn.closed or conn.broken or self._local.pid != os.getpid():
            extra: dict[str, Any] = ({} if self.connect_timeout is None
                                     else {"connect_timeout": max(1, round(self.connect_timeout))})
            conn = psycopg.connect(self.uri, autocommit=True, **extra)
            self._local.conn, self._local.pid = conn, os.getpid()
        return conn

    @contextmanager
    def _transaction(self, write: bool) -> Iterator[Tx]:
        conn = self._connection()
        with conn.transaction():
            yield _PgTx(conn)

    def _run(self, fn: Callable[[Tx], R], write: bool = False) -> R:
        import psycopg
        from psycopg import errors as pgerr

        # Serialization failures and deadlocks are safe to retry: the transaction
        # rolled back completely. A unique violation on the version key cannot
        # happen with the row-locking upsert, but retrying it is harmless.
        retryable = (pgerr.SerializationFailure, pgerr.DeadlockDetected, pgerr.UniqueViolation)
        deadline = time.monotonic() + self.retry_for_s
        delay, reconnects = 0.01, 0
        while True:
            try:
                with self._transaction(write) as tx:
                    return fn(tx)
            except retryable as exc:
                if time.monotonic() > deadline:
                    raise Conflict(f"registry transaction kept conflicting: {exc}") from exc
            except psycopg.OperationalError:
                # A dropped connection (server restart, idle timeout): reconnect once.
                self.close()
                reconnects += 1
                if reconnects > 1:
                    raise
            time.sleep(delay * (1 + random.random()))
            delay = min(delay * 2, 0.5)

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None and self._local.pid == os.getpid():
            conn.close()
        self._local.conn = None
