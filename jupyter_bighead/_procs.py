"""Process trees of jobs and servers: start one marked, reap it, and stop all of it.

A job's kernel runs in a session of its own (jupyter_client starts kernels with
``start_new_session``), and a notebook may double-fork a daemon that leaves the
worker's process group too, so the process group alone does not reach every process a
run started. Two things do, without privileges, cgroups or PID namespaces:

- parent links: on Linux the job worker is a *child subreaper* (``subreaper``), so an
  orphan anywhere under it (a double-forked daemon, ``setsid env -i ... &``) is adopted
  by the worker instead of init and stays in its tree while the worker lives;
  ``stop_tree`` walks that tree in ``/proc`` before it signals anything;
- the environment: every process inherits ``BIGHEAD_PROCESS_MARKS``, a comma-separated
  list to which each spawn appends its own mark, and ``/proc/<pid>/environ`` shows it
  for every process of this user, even one that left the tree (its worker was killed).

A process that carries marks, none of them the run's, belongs to another run (a
deployment created from inside a job starts with only its own mark): it is spared,
with everything under it. Only a process that both clears its environment and leaves
the tree of a worker that died with SIGKILL escapes; that needs a cgroup.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

try:  # psutil comes with ipykernel; without it we fall back to kill(pid, 0)
    import psutil
except ImportError:  # pragma: no cover
    psutil = None

#: The environment variable carrying the marks of every run a process belongs to.
MARKS_ENV = "BIGHEAD_PROCESS_MARKS"

_PROC = Path("/proc")
_PR_SET_CHILD_SUBREAPER = 36

#: pid -> (parent pid, start time token, state letter) of every visible process.
_Table = dict[int, tuple[int, float, str]]


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
    return mark in (_marks_in(environ) or ())


def _marks_in(environ: bytes) -> list[str] | None:
    """The marks in a ``/proc/<pid>/environ`` dump; None when it has no marks variable."""
    prefix = MARKS_ENV.encode() + b"="
    for item in environ.split(b"\0"):
        if item.startswith(prefix):
            return [m for m in item[len(prefix):].decode("utf-8", "replace").split(",") if m]
    return None


def own_marks() -> set[str]:
    """The marks this process carries."""
    return {m for m in os.environ.get(MARKS_ENV, "").split(",") if m}


def _marks_of(pid: int) -> list[str] | None:
    if not _PROC.is_dir():  # pragma: no cover - not Linux
        try:
            value = psutil.Process(pid).environ().get(MARKS_ENV) if psutil else None
        except psutil.Error:
            return None
        return None if value is None else [m for m in value.split(",") if m]
    try:
        with open(f"/proc/{pid}/environ", "rb") as fh:
            return _marks_in(fh.read())
    except OSError:  # gone, or another user's (a setuid program): not telling
        return None


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


# -- the process tree ------------------------------------------------------------------
def subreaper() -> bool:
    """Make this process adopt the orphans among its descendants (instead of init).

    Linux's ``PR_SET_CHILD_SUBREAPER``, unprivileged; not inherited across fork. The
    caller must then reap them (``os.waitpid(-1, ...)``). False where unavailable.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return bool(libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0)
    except (OSError, AttributeError):  # pragma: no cover - no libc prctl
        return False


def _table() -> _Table:
    """Every visible process: its parent, a start-time token (identity) and its state."""
    table: _Table = {}
    if not _PROC.is_dir():  # pragma: no cover - not Linux
        if psutil is None:
            return table
        for proc in psutil.process_iter(["ppid", "create_time", "status"]):
            info = proc.info
            zombie = info["status"] == psutil.STATUS_ZOMBIE
            table[proc.pid] = (info["ppid"] or 0, info["create_time"] or 0.0,
                               "Z" if zombie else "R")
        return table
    for entry in os.scandir(_PROC):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as fh:
                fields = fh.read().rpartition(b")")[2].split()
            table[int(entry.name)] = (int(fields[1]), float(fields[19]), fields[0].decode())
        except (OSError, IndexError, ValueError):  # gone meanwhile
            continue
    return table


def _live(table: _Table, pid: int, token: float | None = None) -> bool:
    row = table.get(pid)
    return row is not None and row[2] != "Z" and (token is None or row[1] == token)


def descendants(roots: Iterable[int], table: _Table,
                own: Collection[str] | None = None) -> set[int]:
    """The live ones of ``roots`` and every live process under them (parent links).

    With ``own`` (a run's marks), a process under the roots that carries marks, none
    of them in ``own``, belongs to another run: it is left out, with all under it.
    """
    children: dict[int, list[int]] = {}
    for pid, (ppid, _token, _state) in table.items():
        children.setdefault(ppid, []).append(pid)
    found = {p for p in roots if _live(table, p)}
    todo = list(found)
    while todo:
        for child in children.get(todo.pop(), ()):
            if child not in found and _live(table, child) and _ours(child, own):
                found.add(child)
                todo.append(child)
    return found


def _ours(pid: int, own: Collection[str] | None) -> bool:
    if own is None:
        return True
    marks = _marks_of(pid)
    return not marks or any(m in own for m in marks)


def _signal(pids: Iterable[int], sig: int) -> None:
    for pid in pids:
        try:
            os.kill(pid, sig)
        except OSError:
            pass


def _stop_all(collect: Callable[[], list[int]], grace: float,
              before_kill: Callable[[], None] | None = None) -> list[int]:
    """SIGTERM whatever ``collect`` finds (found anew every pass, so what forks meanwhile
    is caught too) until nothing is left or ``grace`` s passed, then SIGKILL it.
    Returns what survived even that."""
    termed: set[int] = set()
    deadline = time.monotonic() + grace
    while True:
        targets = collect()
        if not targets:
            return []
        _signal((p for p in targets if p not in termed), signal.SIGTERM)
        termed.update(targets)
        if time.monotonic() >= deadline:
            break
        time.sleep(0.1)
    if before_kill is not None:
        before_kill()
    for _round in range(60):
        targets = collect()
        if not targets:
            return []
        _signal(targets, signal.SIGKILL)
        time.sleep(0.05)
    return targets


def stop_tree(pid: int | None, started: float | None, mark: str | None,
              grace: float = 5.0) -> None:
    """Stop a run: its leader ``pid``, its process group, descendants and marked processes.

    The tree under the leader is read from ``/proc`` before anything is signalled (a
    job worker is a subreaper: every orphan of the run is still under it), and every
    process found once is followed by identity afterwards, with whatever it forks. The
    leader gets SIGTERM first (a job worker must not record its kernel's death as a
    failure of its own), then everything else; whatever is left after ``grace`` seconds
    is killed. Processes of other runs (see ``descendants``) are left alone.
    """
    me = os.getpid()
    leader = pid if pid and alive(pid, started) else None
    own = {mark} if mark else None
    # Pid -> start token: a pid recycled while we wait is never signalled.
    known: dict[int, float] = {}

    if leader is not None and leader in (table := _table()):
        known[leader] = table[leader][1]

    def collect() -> list[int]:
        table = _table()
        found = descendants([p for p, token in known.items() if _live(table, p, token)],
                            table, own)
        if mark:
            found.update(p for p in marked(mark) if _live(table, p))
        for p in found:
            known[p] = table[p][1]
        return sorted(p for p in found if p != me)

    collect()  # before the first signal, while every orphan is still under the leader
    group = leader is not None and _own_group(leader)
    if leader is not None:
        _signal([leader], signal.SIGTERM)
    if group:
        _killpg(leader, signal.SIGTERM)
    left = _stop_all(collect, grace,
                     before_kill=(lambda: _killpg(leader, signal.SIGKILL)) if group else None)
    if left:
        print(f"[bighead] processes {left} survived SIGKILL", file=sys.stderr)


def stop_descendants(grace: float = 2.0) -> list[int]:
    """Stop every process under this one (a subreaper's adopted orphans included), except
    those of other runs (see ``descendants``); reap the ones that were our children.
    Returns the survivors."""
    me = os.getpid()
    own = own_marks()

    def collect() -> list[int]:
        reap_children()
        return sorted(descendants([me], _table(), own) - {me})

    left = _stop_all(collect, grace)
    reap_children()
    return left


def reap_children() -> dict[int, int]:
    """Reap every child that has exited (without waiting); pid -> wait status."""
    done: dict[int, int] = {}
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return done
        if pid == 0:
            return done
        done[pid] = status


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
