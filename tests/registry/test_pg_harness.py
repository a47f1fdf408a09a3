from __future__ import annotations

from .pg import fresh_database


def test_throwaway_postgres_server_accepts_connections(pg_server):
    import psycopg

    with psycopg.connect(fresh_database(pg_server)) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
