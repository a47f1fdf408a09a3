"""The registry store contract (jupyter_bighead.testing.RegistryStoreContract) over both
built-in stores: SQLite, and a real PostgreSQL."""

from __future__ import annotations

import pytest

from jupyter_bighead.errors import InvalidSpec
from jupyter_bighead.registry.store import open_store
from jupyter_bighead.testing.registry_store import RegistryStoreContract


class TestSqliteStore(RegistryStoreContract):
    @pytest.fixture
    def store_uri(self, tmp_path):
        return f"sqlite:///{tmp_path / 'reg' / 'registry.db'}"


class TestSqliteStoreWithOptions(TestSqliteStore):
    @pytest.fixture
    def store_options(self):
        return {"busy_timeout_ms": 2000, "retry_for_s": 5.0}

    def test_the_options_reach_the_store(self, reg):
        assert (reg.store.busy_timeout_ms, reg.store.retry_for_s) == (2000, 5.0)
        conn = reg.store._connection()
        assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 2000


class TestPostgresStore(RegistryStoreContract):
    @pytest.fixture
    def store_uri(self, pg_uri):
        return pg_uri

    @pytest.fixture
    def store_options(self):
        return {"connect_timeout": 10, "retry_for_s": 20.0}


def test_bad_option_values_are_refused(tmp_path):
    with pytest.raises(InvalidSpec, match="must not be negative"):
        open_store(f"sqlite:///{tmp_path / 'r.db'}", retry_for_s=-1)
