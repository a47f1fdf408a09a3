"""A throwaway PostgreSQL server: for `jupyter bighead hub` and the store contract tests.

Runs Debian's server binaries (package ``postgresql``) from a temporary folder on a
free localhost port, with fsync off, and removes everything at the end. As root the
server runs as the ``postgres`` OS user, because PostgreSQL refuses to run as root.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

INSTALL_HINT = (
    "PostgreSQL server binaries (initdb, pg_ctl, postgres) were not found under "
    "/usr/lib/postgresql/*/bin. Install Debian's package: apt-get install -y postgresql"
)


def find_bindir() -> Path | None:
    """The newest ``/usr/lib/postgresql/N/bin`` that has initdb and pg_ctl."""
    found = []
    for initdb in glob.glob("/usr/lib/postgresql/*/bin/initdb"):
        bindir = Path(initdb).parent
        if (bindir / "pg_ctl").exists() and (bindir / "postgres").exists():
            try:
                found.append((int(bindir.parent.name.split(".")[0]), bindir))
            except ValueError:
                continue
    return max(found)[1] if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def postgres_server() -> Iterator[str]:
    """Start a server; yield the URI of its ``postgres`` database; stop and delete it.

    Raises
    ------
    RuntimeError
        If the binaries are missing (the message names the apt package) or the
        server does not start (the message holds its log).
    """
    bindir = find_bindir()
    if bindir is None:
        raise RuntimeError(INSTALL_HINT)
    as_root = hasattr(os, "geteuid") and os.geteuid() == 0
    prefix = ["runuser", "-u", "postgres", "--"] if as_root else []
    tmp = Path(tempfile.mkdtemp(prefix="bighead-pg-"))
    data, log = tmp / "data", tmp / "server.log"
    if as_root:
        shutil.chown(tmp, "postgres", "postgres")
    port = _free_port()

    def run(*cmd: str) -> None:
        subprocess.run([*prefix, *cmd], check=True, capture_output=True, text=True, timeout=120)

    started = False
    try:
        run(str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
            "-E", "UTF8", "--no-locale", "--no-sync")
        options = (f"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={tmp} "
                   "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                   "-c max_connections=100")
        try:
            run(str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options,
                "-w", "-t", "60", "start")
        except subprocess.CalledProcessError as exc:
            text = log.read_text() if log.exists() else ""
            raise RuntimeError(f"PostgreSQL did not start: {exc.stderr}\n{text}") from exc
        started = True
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        if started:
            subprocess.run([*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate",
                            "stop"], capture_output=True, timeout=60)
        shutil.rmtree(tmp, ignore_errors=True)


def fresh_database(server_uri: str) -> str:
    """Create an empty database on the server and return its URI."""
    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server_uri, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return server_uri.rsplit("/", 1)[0] + f"/{name}"
