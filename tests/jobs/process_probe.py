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
        deadline = time.monotonic() + timeout
        while not Path(gate).exists() and time.monotonic() < deadline:
            time.sleep(0.05)
    return "left"


def deploy(home: str, registry: str) -> str:
    """Create a local deployment of ``clf`` (alias ``production``); return its id."""
    from jupyter_bighead.config import BigheadHome
    from jupyter_bighead.registry import Registry
    from jupyter_bighead.serving import DeploymentService

    svc = DeploymentService(BigheadHome(home), registry=Registry(registry),
                            target_options={"local": {"registry": registry,
                                                      "poll_seconds": 0}})
    return svc.create("clf", alias="production", user="ada").id
