"""Local jobs own their whole process tree: reaped when done, stopped entirely on cancel.

The kernel papermill starts runs in a session of its own and a notebook may double-fork
a daemon, so these tests build exactly that and look at /proc, not at our bookkeeping.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from jupyter_bighead import _procs
from jupyter_bighead.jobs import JobSpec
from jupyter_bighead.jobs.local import job_mark

from ..notebooks.helpers import code, write_nb
from .conftest import make_local

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")

# Double-fork a `sleep` daemon in a new session (it leaves the worker's group, session and
# tree: it is reparented to init), then write its pid and the kernel's to PIDS.
DAEMON = """\
import os
r, w = os.pipe()
child = os.fork()
if child == 0:
    os.setsid()
    if os.fork() == 0:
        os.write(w, str(os.getpid()).encode())
        os.execvp("sleep", ["sleep", "600"])
    os._exit(0)
os.close(w)
os.waitpid(child, 0)
daemon = int(os.read(r, 32))
open(PIDS, "w").write(f"{daemon} {os.getpid()}")
"""


def _state(pid: int) -> str | None:
    """The /proc state letter of ``pid`` (``Z`` for a zombie), None when it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return None
    return stat.rpartition(b")")[2].split()[0].decode()


def _running(pid: int) -> bool:
    return _state(pid) not in (None, "Z")


def _wait_until(predicate, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def _daemon_notebook(folder: Path, pids: Path, then: str) -> Path:
    return write_nb(folder / "daemon.ipynb", [code(f"PIDS = {str(pids)!r}\n" + DAEMON),
                                               code(then)])


def test_cancel_stops_the_whole_process_tree(tmp_path):
    pids = tmp_path / "pids.txt"
    nb = _daemon_notebook(tmp_path, pids, "import time\nprint('started', flush=True)\n"
                                          "time.sleep(600)")
    ex = make_local(tmp_path)
    record = ex.submit(JobSpec(notebook=str(nb)))
    assert _wait_until(lambda: pids.exists() and pids.read_text().count(" ") == 1, 120), \
        "".join(ex.logs(record.id))
    daemon, kernel = (int(p) for p in pids.read_text().split())
    worker = ex.status(record.id).pid
    assert worker and _running(worker) and _running(kernel) and _running(daemon)
    # The daemon escaped everything but the environment: another session, not a child.
    assert os.getsid(daemon) not in (os.getsid(worker), os.getsid(kernel))
    assert daemon not in {c.pid for c in _procs.psutil.Process(worker).children(True)}

    cancelled = ex.cancel(record.id)

    assert cancelled.state == "cancelled"
    assert not _running(worker) and not _running(kernel) and not _running(daemon)
    assert _procs.marked(job_mark(record.id)) == []


def test_finished_jobs_leave_no_zombie_processes(tmp_path, notebooks):
    ex = make_local(tmp_path, max_concurrent=3)
    records = [ex.submit(JobSpec(notebook=str(notebooks / "train.ipynb"))) for _ in range(3)]
    workers = []
    for record in records:
        done = ex.wait(record.id, 180)
        assert done.state == "succeeded", done.error
        workers.append(done.pid)
    # A worker is a child of this (the server's) process: until it is reaped its pid
    # stays in /proc as a zombie. Other tests' children are not this test's business.
    assert _wait_until(lambda: all(_state(pid) is None for pid in workers)), \
        {pid: _state(pid) for pid in workers}
    children = {p.pid for p in _procs.psutil.Process().children()}
    assert children.isdisjoint(workers)


def test_processes_a_finished_job_left_running_are_stopped(tmp_path):
    # Like a pod's end: nothing a job started outlives it.
    pids = tmp_path / "pids.txt"
    nb = _daemon_notebook(tmp_path, pids, "print('leaving a daemon behind')")
    ex = make_local(tmp_path)
    record = ex.submit(JobSpec(notebook=str(nb)))
    done = ex.wait(record.id, 180)
    assert done.state == "succeeded", done.error
    daemon, _kernel = (int(p) for p in pids.read_text().split())
    assert _wait_until(lambda: not _running(daemon))
    assert _wait_until(lambda: _procs.marked(job_mark(record.id)) == [])


def test_stop_tree_catches_a_double_forked_daemon_and_reaps_the_leader(tmp_path):
    pids = tmp_path / "pids.txt"
    script = f"PIDS = {str(pids)!r}\n" + DAEMON + "import time\ntime.sleep(600)\n"
    proc = _procs.spawn([sys.executable, "-c", script], mark="test:tree", env=os.environ)
    assert _wait_until(lambda: pids.exists() and " " in pids.read_text())
    daemon = int(pids.read_text().split()[0])
    assert set(_procs.marked("test:tree")) == {proc.pid, daemon}
    _procs.stop_tree(proc.pid, _procs.create_time(proc.pid), "test:tree", grace=2)
    assert not _running(daemon)
    assert _wait_until(lambda: _state(proc.pid) is None)  # reaped, not a zombie


def test_marks_of_enclosing_runs_are_kept():
    env = _procs.with_mark(_procs.with_mark({}, "job:outer"), "job:inner")
    assert env[_procs.MARKS_ENV] == "job:outer,job:inner"
    assert _procs._has_mark(f"A=1\0{_procs.MARKS_ENV}=job:outer,job:inner\0".encode(),
                            "job:outer")
    assert not _procs._has_mark(f"{_procs.MARKS_ENV}=job:outer2\0".encode(), "job:outer")
    with pytest.raises(ValueError):
        _procs.with_mark({}, "a,b")
