"""Local jobs own their whole process tree: reaped when done, stopped entirely on cancel.

The kernel papermill starts runs in a session of its own and a notebook may double-fork
a daemon, so these tests build exactly that and look at /proc, not at our bookkeeping.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import sys
import time
from pathlib import Path

import pytest

from jupyter_bighead import _procs
from jupyter_bighead.jobs import JobSpec
from jupyter_bighead.jobs.local import job_mark

from ..notebooks.helpers import code, write_nb
from .conftest import make_local
from .process_probe import daemon_command

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
    # The daemon left the kernel's session and tree, but the worker is a subreaper:
    # orphaned, it was adopted by the worker rather than by init.
    assert os.getsid(daemon) not in (os.getsid(worker), os.getsid(kernel))
    assert daemon in {c.pid for c in _procs.psutil.Process(worker).children(True)}

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


# -- daemons that clear their environment (no mark) and deployments made by a job ----
def _seconds() -> str:
    """A `sleep` duration no other process has: the test finds its daemon by it."""
    return f"600.{random.randrange(10**8):08d}"


def _sleeping(seconds: str) -> list[int]:
    """Pids of the live `sleep <seconds>` processes, found in /proc (no bookkeeping)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if entry.name.isdigit() and argv[1:2] == [seconds.encode()] and \
                argv[0].endswith(b"sleep") and _running(int(entry.name)):
            found.append(int(entry.name))
    return found


def _no_marks(pid: int) -> bool:
    return _procs.MARKS_ENV.encode() not in Path(f"/proc/{pid}/environ").read_bytes()


def _daemon_job(tmp_path: Path, kind: str, seconds: str, gate: Path | None) -> JobSpec:
    if kind == "function":
        return JobSpec(function="tests.jobs.process_probe:leave_daemon",
                       parameters={"seconds": seconds,
                                   "gate": str(gate) if gate else None})
    wait = (f"import time, os\nwhile not os.path.exists({str(gate)!r}):\n"
            "    time.sleep(0.05)") if gate else "print('leaving it behind')"
    nb = write_nb(tmp_path / "envless.ipynb", [
        code(f"import subprocess\nsubprocess.run({daemon_command(seconds)!r}, shell=True,"
             " check=True)"), code(wait)])
    return JobSpec(notebook=str(nb))


def test_cancel_stops_a_daemon_that_cleared_its_environment(tmp_path):
    seconds, gate = _seconds(), tmp_path / "never"
    ex = make_local(tmp_path)
    record = ex.submit(_daemon_job(tmp_path, "notebook", seconds, gate))
    assert _wait_until(lambda: _sleeping(seconds), 120), "".join(ex.logs(record.id))
    [daemon] = _sleeping(seconds)
    assert _no_marks(daemon)  # invisible to the marks: only the tree reaches it

    assert ex.cancel(record.id).state == "cancelled"

    assert _sleeping(seconds) == []
    assert _wait_until(lambda: _state(daemon) is None)  # and reaped, not a zombie


@pytest.mark.parametrize("kind", ["notebook", "function"])
def test_a_finished_job_leaves_no_daemon_that_cleared_its_environment(tmp_path, kind):
    seconds = _seconds()
    ex = make_local(tmp_path)
    done = ex.wait(ex.submit(_daemon_job(tmp_path, kind, seconds, None)).id, 180)
    assert done.state == "succeeded", done.error
    assert _wait_until(lambda: not _sleeping(seconds)), _sleeping(seconds)


def test_a_worker_stopped_with_sigterm_stops_its_job_and_daemons_first(tmp_path):
    # As Kubernetes ends a pod: SIGTERM to the worker alone.
    seconds = _seconds()
    ex = make_local(tmp_path)
    record = ex.submit(_daemon_job(tmp_path, "function", seconds, tmp_path / "never"))
    assert _wait_until(lambda: _sleeping(seconds), 60), "".join(ex.logs(record.id))
    worker = ex.status(record.id).pid
    before = set(_procs.psutil.Process(worker).children(True))

    os.kill(worker, signal.SIGTERM)

    assert _wait_until(lambda: _state(worker) is None)
    assert _sleeping(seconds) == []
    assert not any(_running(p.pid) for p in before)
    assert "SIGTERM: stopping the job" in "".join(ex.logs(record.id))


def test_stop_tree_spares_the_processes_of_other_runs_under_the_leader(tmp_path):
    mine, theirs = _seconds(), _seconds()
    sleep = shutil.which("sleep")
    # Like a deployment a job creates: a session of its own, only its own mark.
    script = (f"env -i {sleep} {mine} & "
              f"{_procs.MARKS_ENV}=deployment:other setsid {sleep} {theirs} & wait")
    proc = _procs.spawn(["sh", "-c", script], mark="test:spare", env=os.environ)
    assert _wait_until(lambda: _sleeping(mine) and _sleeping(theirs))
    [other] = _sleeping(theirs)
    try:
        _procs.stop_tree(proc.pid, _procs.create_time(proc.pid), "test:spare", grace=2)
        assert _sleeping(mine) == []
        assert _running(other)
    finally:
        os.kill(other, signal.SIGKILL)


@pytest.mark.parametrize("end", ["succeeds", "is cancelled"])
def test_a_deployment_created_inside_a_job_outlives_the_job(tmp_path, end):
    import lightgbm as lgb
    import numpy as np

    from jupyter_bighead.config import BigheadHome
    from jupyter_bighead.registry import Registry
    from jupyter_bighead.serving import DeploymentService

    registry = Registry(tmp_path / "registry")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    registry.register("clf", lgb.LGBMClassifier(n_estimators=3, verbose=-1).fit(
        X, X[:, 0] > 0))
    registry.set_alias("clf", "production", 1)
    home = tmp_path / "home"
    ex = make_local(tmp_path)
    gate = str(tmp_path / "never") if end == "is cancelled" else None
    job = ex.submit(JobSpec(function="tests.jobs.process_probe:deploy",
                            parameters={"home": str(home), "registry": registry.store.uri,
                                        "gate": gate}))
    deployed = home / "deployed"
    assert _wait_until(lambda: deployed.exists(), 120), "".join(ex.logs(job.id))
    if end == "is cancelled":
        job = ex.cancel(job.id)
    else:
        job = ex.wait(job.id, 120)
    assert job.state == ("cancelled" if gate else "succeeded"), job.error
    svc = DeploymentService(BigheadHome(home), registry=registry)
    dep_id = deployed.read_text()
    try:
        # The job and its worker are gone; the server it started serves on.
        assert _wait_until(lambda: _state(job.pid) is None)
        assert _wait_until(lambda: svc.get(dep_id).status == "running", 60), \
            svc.logs(dep_id)[0]
        assert _running(svc.get(dep_id).pid)
        assert _procs.marked(job_mark(job.id)) == []
    finally:
        pid = svc.get(dep_id).pid
        svc.delete(dep_id)
    assert _wait_until(lambda: not _running(pid))
