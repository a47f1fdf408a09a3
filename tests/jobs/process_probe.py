"""Job functions for the process-tree tests (``function="tests.jobs.process_probe:..."``).

They run in the worker subprocess, so they tell the test what they did through files
and through processes the test finds in ``/proc``.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

#: A daemon that leaves everything: a new session, an orphan (the shell exits at once),
#: and an empty environment, so it carries no process mark.
DAEMON = "setsid env -i {sleep} {seconds} &"


def daemon_command(seconds: str) -> str:
    return DAEMON.format(sleep=shutil.which("sleep") or "/bin/sleep", seconds=seconds)


def leave_daemon(seconds: str, gate: str | None = None, timeout: float = 120.0) -> str:
    """Start the daemon (``sleep seconds``); then, with ``gate``, wait for that file."""
    subprocess.run(daemon_command(seconds), shell=True, check=True)
    if gate:
        _wait_for(gate, timeout)
    return "left"


def _wait_for(gate: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not Path(gate).exists() and time.monotonic() < deadline:
        time.sleep(0.05)


def deploy(home: str, registry: str, gate: str | None = None) -> str:
    """Create a local deployment of ``clf`` (alias ``production``); return its id (also
    written to ``<home>/deployed``); then, with ``gate``, wait for that file."""
    from jupyter_bighead.config import BigheadHome
    from jupyter_bighead.registry import Registry
    from jupyter_bighead.serving import DeploymentService

    svc = DeploymentService(BigheadHome(home), registry=Registry(registry),
                            target_options={"local": {"registry": registry,
                                                      "poll_seconds": 0}})
    dep_id = svc.create("clf", alias="production", user="ada").id
    (Path(home) / "deployed").write_text(dep_id)
    if gate:
        _wait_for(gate, 120.0)
    return dep_id
