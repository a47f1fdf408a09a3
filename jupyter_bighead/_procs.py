"""Process trees of jobs and servers: start one marked, reap it, and stop all of it.

A job's kernel runs in a session of its own (jupyter_client starts kernels with
``start_new_session``), and a notebook may double-fork a daemon that leaves the
worker's process group too, so neither the group nor the parent/child links reach
every process a run started. What does reach them, without privileges, cgroups or
PID namespaces, is the environment: every process inherits
``BIGHEAD_PROCESS_MARKS``, a comma-separated list to which each spawn appends its own
mark, and on Linux ``/proc/<pid>/environ`` shows it for every process of this user.
A process that deliberately clears its environment escapes; that needs a cgroup.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

try:  # psutil comes with ipykernel; without it we fall back to kill(pid, 0)
    import psutil
except ImportError:  # pragma: no cover
    psutil = None

#: The environment variable carrying the marks of every run a process belongs to.
MARKS_ENV = "BIGHEAD_PROCESS_MARKS"

_PROC = Path("/proc")


def with_mark(env: Mapping[str, str], mark: str) -> dict[str, str]:
    """``env`` with ``mark`` appended to its marks (marks of enclosing runs are kept)."""
    if not mark or "," in mark or "\0" in mark:
        raise ValueError(f"bad process mark {mark!r}")
    out = dict(env)
    prior = out.get(MARKS_ENV)
    out[MARKS_ENV] = f"{prior},{mark}" if prior else mark
    return out


def spawn(cmd: Sequence[str], *, mark: str, env: Mapping[str, str],
          on_exit: Callable[[subprocess.Popen[bytes]], None] | None = None,
          **popen: Any) -> subprocess.Popen[bytes]:
    """Start ``cmd`` in a new session, marked with ``mark``, and reap it when it exits.

    A thread waits for the child, so it never lingers as a zombie however long nobody
    asks about it; ``on_exit`` then runs in that thread.
    """
    proc = subprocess.Popen(list(cmd), env=with_mark(env, mark), start_new_session=True,
                            **popen)

    def reap() -> None:
        proc.wait()
        if on_exit is not None:
            on_exit(proc)

    threading.Thread(target=reap, name=f"bighead-reap-{proc.pid}", daemon=True).start()
    return proc


def create_time(pid: int) -> float | None:
    """When process ``pid`` started (to recognise it later), or None."""
    if psutil is None:  # pragma: no cover
        return None
    try:
        return float(psutil.Process(pid).create_time())
    except psutil.Error:
        return None


def alive(pid: int | None, started: float | None) -> bool:
    """Whether ``pid`` runs and is the process that started at ``started`` (not a zombie)."""
    if not pid:
        return False
    if psutil is None:  # pragma: no cover
        try:
            os.kill(pid, 0)
        except OSError:
            return False
        return True
    try:
        proc = psutil.Process(pid)
        if proc.status() == psutil.STATUS_ZOMBIE:
            return False
        return started is None or abs(proc.create_time() - started) < 1.0
    except psutil.Error:
        return False


def marked(mark: str) -> list[int]:
    """Pids of the live processes of this user that carry ``mark`` (never this process)."""
    me = os.getpid()
    if not _PROC.is_dir():  # pragma: no cover - macOS: psutil reads environments too
        return _marked_psutil(mark, me)
    found = []
    for entry in os.scandir(_PROC):
        if not entry.name.isdigit() or int(entry.name) == me:
            continue
        try:
            with open(f"/proc/{entry.name}/environ", "rb") as fh:
                environ = fh.read()
            with open(f"/proc/{entry.name}/stat", "rb") as fh:
                state = fh.read().rpartition(b")")[2].split()[0]
        except OSError:  # gone, or another user's
            continue
        if state != b"Z" and _has_mark(environ, mark):
            found.append(int(entry.name))
    return found


def _has_mark(environ: bytes, mark: str) -> bool:
    prefix = MARKS_ENV.encode() + b"="
    for item in environ.split(b"\0"):
        if item.startswith(prefix):
            return mark.encode() in item[len(prefix):].split(b",")
    return False


def _marked_psutil(mark: str, me: int) -> list[int]:  # pragma: no cover - not Linux
    if psutil is None:
        return []
    found = []
    for proc in psutil.process_iter():
        try:
            value = proc.environ().get(MARKS_ENV, "")
            if proc.pid != me and mark in value.split(",") and \
                    proc.status() != psutil.STATUS_ZOMBIE:
                found.append(proc.pid)
        except psutil.Error:
            continue
    return found


def _signal(pids: Sequence[int], sig: int) -> None:
    for pid in pids:
        try:
            os.kill(pid, sig)
        except OSError:
            pass


def _wait_gone(pids: Sequence[int], deadline: float) -> list[int]:
    """Wait until every pid has exited (or is a zombie) or ``deadline``; the survivors."""
    left = list(pids)
    while left:
        left = [p for p in left if alive(p, None)]
        if not left or time.monotonic() >= deadline:
            break
        time.sleep(0.05)
    return left


def stop_tree(pid: int | None, started: float | None, mark: str | None,
              grace: float = 5.0) -> None:
    """Stop a run: its leader ``pid``, its process group, descendants and marked processes.

    The leader gets SIGTERM first (a job worker must not record its kernel's death as
    a failure of its own), then everything else; whatever is left after ``grace``
    seconds is killed, rescanning until no marked process is left, so a process that
    forks while being stopped is caught too.
    """
    leader = pid if pid and alive(pid, started) else None
    # Processes known by identity (psutil checks the start time), so a pid recycled
    # while we wait is never signalled; marked ones are found afresh on every pass.
    known: list[Any] = []
    if leader is not None and psutil is not None:
        try:
            top = psutil.Process(leader)
            known = [top, *top.children(recursive=True)]
        except psutil.Error:
            known = []
    group = leader is not None and _own_group(leader)

    def everything() -> list[int]:
        found = {p.pid for p in known if _running(p)}
        if mark:
            found.update(marked(mark))
        return sorted(p for p in found if p != os.getpid())

    if leader is not None:
        _signal([leader], signal.SIGTERM)
    if group:
        _killpg(leader, signal.SIGTERM)
    targets = everything()
    _signal(targets, signal.SIGTERM)
    _wait_gone(targets, time.monotonic() + grace)
    if group:
        _killpg(leader, signal.SIGKILL)
    for _round in range(20):
        targets = [p for p in everything() if alive(p, None)]
        if not targets:
            return
        _signal(targets, signal.SIGKILL)
        _wait_gone(targets, time.monotonic() + 1.0)
    print(f"[bighead] processes {targets} survived SIGKILL", file=sys.stderr)


def _own_group(pid: int) -> bool:
    """Whether ``pid`` leads a process group (a session of its own, see spawn) not ours."""
    try:
        return os.getpgid(pid) == pid != os.getpgrp()
    except OSError:
        return False


def _killpg(pgid: int | None, sig: int) -> None:
    if pgid is None:
        return
    try:
        os.killpg(pgid, sig)
    except OSError:
        pass


def _running(proc: Any) -> bool:
    try:
        return bool(proc.is_running()) and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False
