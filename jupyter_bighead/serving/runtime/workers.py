"""``--workers N``: forked server processes sharing the listening sockets.

Kept simple on purpose: the parent only forks, restarts a worker that dies, and relays
signals; every worker is a complete server that loads the model itself.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from typing import Any

#: ``forked`` is true in a worker process (a reload must then reach its siblings).
WORKER = {"forked": False}


def fork_workers(n: int) -> None:
    """Fork ``n`` workers sharing the listening sockets; return in each worker.

    The parent stays behind: it restarts a worker that dies, forwards SIGHUP (reload)
    to every worker, and on SIGTERM/SIGINT stops them and exits.
    """
    children: dict[int, int] = {}
    stopping = False

    def spawn(i: int) -> bool:
        pid = os.fork()
        if pid == 0:
            # Not SIG_DFL, which would kill a worker that gets a reload before its loop
            # installs the handler; that worker's first load comes after it anyway.
            signal.signal(signal.SIGHUP, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            WORKER["forked"] = True
            return True
        children[pid] = i
        return False

    def forward(signum: int, _frame: Any) -> None:
        nonlocal stopping
        if signum != signal.SIGHUP:
            stopping = True
        for pid in list(children):
            try:
                os.kill(pid, signal.SIGHUP if signum == signal.SIGHUP else signal.SIGTERM)
            except OSError:
                pass

    signal.signal(signal.SIGHUP, forward)
    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    for i in range(n):
        if spawn(i):
            return
    while children:
        try:
            pid, _status = os.wait()
        except ChildProcessError:
            break
        i = children.pop(pid, -1)
        if not stopping and i >= 0:
            time.sleep(0.5)  # do not spin if workers crash at start
            if spawn(i):
                return
    sys.exit(0)
