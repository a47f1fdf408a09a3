"""The throwaway PostgreSQL server of the store tests (it lives in jupyter_bighead.hub, which
`jupyter bighead hub` uses too)."""

from jupyter_bighead.hub.postgres import INSTALL_HINT, find_bindir, fresh_database, postgres_server

__all__ = ["INSTALL_HINT", "find_bindir", "fresh_database", "postgres_server"]
