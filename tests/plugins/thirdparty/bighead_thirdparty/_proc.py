"""Child processes any plugin object of this process may poll (and so reap)."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time

_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}
_LOCK = threading.Lock()


def adopt(proc: subprocess.Popen[bytes]) -> int:
    with _LOCK:
        _CHILDREN[proc.pid] = proc
    return proc.pid


def running(pid: int | None) -> bool:
    """Whether ``pid`` runs (a child of ours that exited is reaped here)."""
    if not pid:
        return False
    with _LOCK:
        proc = _CHILDREN.get(pid)
        if proc is not None:
            if proc.poll() is None:
                return True
            _CHILDREN.pop(pid, None)
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def terminate(pid: int | None, grace: float = 15.0) -> None:
    """SIGTERM ``pid``, then SIGKILL its process group if it is still there after
    ``grace`` seconds."""
    if not running(pid):
        return
    assert pid is not None
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while running(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if running(pid):
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        while running(pid) and time.monotonic() < deadline + 5:
            time.sleep(0.1)
