"""A job's own Dask cluster on this machine (``JobSpec.cluster`` on the local executor).

The job's worker (:mod:`.worker`) starts a ``dask scheduler`` and one ``dask worker``
per requested worker as its child processes, bound to 127.0.0.1 on free ports, each
worker with the cluster profile's memory as its memory limit. The job sees the
scheduler as ``$BIGHEAD_DASK``, so code that leaves ``cluster=None`` uses it (see
:mod:`jupyter_bighead.cluster`). The scheduler, its address, dashboard and the pids of
the processes are written to ``cluster.json`` in the job's folder, which the executor
copies into the job's record. When the job ends, however it ends, the processes are
stopped: by the ``finally`` here on success and failure, and on cancel by the
executor, which stops the job's whole process tree and everything carrying its mark.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from .._io import atomic_write_text
from ..errors import Unavailable
from ..resources import parse_quantity

#: The environment variable through which the local executor hands the job its plan.
PLAN_ENV = "BIGHEAD_JOB_CLUSTER"
#: The file in the job's folder that says how the cluster stands.
STATE_FILE = "cluster.json"


def read_state(folder: Path) -> dict[str, Any]:
    """What ``cluster.json`` in a job's folder says, ``{}`` when there is none yet."""
    try:
        data = json.loads((folder / STATE_FILE).read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_state(folder: Path, state: Mapping[str, Any]) -> None:
    atomic_write_text(folder / STATE_FILE, json.dumps(dict(state), indent=2))


def worker_memory(plan: Mapping[str, Any]) -> int:
    """Bytes each worker may use: the plan's (the profile's) ``memory``."""
    return int(parse_quantity(plan.get("memory") or "2Gi", "cluster memory"))


@contextlib.contextmanager
def job_cluster(plan: Mapping[str, Any], folder: Path,
                timeout: float = 120.0) -> Iterator[dict[str, Any]]:
    """Start the cluster ``plan`` describes; yield its state; stop it on exit.

    ``$BIGHEAD_DASK`` is set to the scheduler's address while it runs (and restored).

    Raises
    ------
    Unavailable
        If the scheduler or the workers are not up within ``timeout`` seconds.
    """
    workers = int(plan["workers"])
    threads = int(plan.get("threads") or 1)
    space = folder / "dask-worker-space"
    space.mkdir(parents=True, exist_ok=True)
    scheduler_file = folder / "dask-scheduler.json"
    scheduler_file.unlink(missing_ok=True)
    log = (folder / "dask.log").open("ab")
    procs: list[subprocess.Popen[bytes]] = []
    state: dict[str, Any] = {**plan, "state": "starting", "address": None,
                             "dashboard": None, "pids": []}
    previous = os.environ.get("BIGHEAD_DASK")
    try:
        _write_state(folder, state)
        procs.append(_start([
            "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", "0",
            "--dashboard-address", "127.0.0.1:0", "--scheduler-file", str(scheduler_file)], log))
        info = _wait_scheduler(scheduler_file, procs[0], timeout)
        address = str(info["address"])
        for i in range(workers):
            procs.append(_start([
                "-m", "distributed.cli.dask_worker", address, "--no-nanny",
                "--nthreads", str(threads), "--memory-limit", str(worker_memory(plan)),
                "--host", "127.0.0.1", "--dashboard-address", "127.0.0.1:0",
                "--name", f"worker-{i}", "--local-directory", str(space),
                "--death-timeout", "60"], log))
        state["pids"] = [p.pid for p in procs]
        state["address"] = address
        port = (info.get("services") or {}).get("dashboard")
        state["dashboard"] = f"http://127.0.0.1:{port}/status" if port else None
        _write_state(folder, state)
        _wait_workers(address, workers, procs, timeout)
        state["state"] = "running"
        _write_state(folder, state)
        os.environ["BIGHEAD_DASK"] = address
        print(f"[bighead worker] Dask cluster {address}: {workers} worker(s), "
              f"{threads} thread(s) and {plan.get('memory')} each; dashboard "
              f"{state['dashboard']}", flush=True)
        yield state
        state["state"] = "stopped"
    except BaseException:
        state["state"] = "failed" if state["state"] == "starting" else "stopped"
        raise
    finally:
        if previous is None:
            os.environ.pop("BIGHEAD_DASK", None)
        else:
            os.environ["BIGHEAD_DASK"] = previous
        _stop(procs)
        log.close()
        _write_state(folder, state)


def _start(args: list[str], log: Any) -> subprocess.Popen[bytes]:
    """A Dask process of this job (it inherits the job's process mark)."""
    return subprocess.Popen([sys.executable, *args], stdout=log, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL)


def _wait_scheduler(path: Path, proc: subprocess.Popen[bytes],
                    timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise Unavailable(f"the job's Dask scheduler exited with code {proc.returncode} "
                              "(see dask.log in the job's folder)")
        try:
            info = json.loads(path.read_text("utf-8"))
            if isinstance(info, dict) and info.get("address"):
                return info
        except (OSError, ValueError):
            pass
        time.sleep(0.1)
    raise Unavailable(f"the job's Dask scheduler did not start within {timeout:g} s")


def _wait_workers(address: str, n: int, procs: list[subprocess.Popen[bytes]],
                  timeout: float) -> None:
    from distributed import Client

    with Client(address, timeout=timeout, set_as_default=False) as client:
        deadline = time.monotonic() + timeout
        while len(client.scheduler_info(n_workers=-1).get("workers", {})) < n:
            dead = [p for p in procs if p.poll() is not None]
            if dead:
                raise Unavailable(f"a Dask process of the job exited with code "
                                  f"{dead[0].returncode} before the cluster was up (see "
                                  "dask.log in the job's folder)")
            if time.monotonic() > deadline:
                raise Unavailable(f"the job's {n} Dask worker(s) were not all up within "
                                  f"{timeout:g} s")
            time.sleep(0.2)


def _stop(procs: list[subprocess.Popen[bytes]], grace: float = 5.0) -> None:
    """Workers first, then the scheduler: SIGTERM, then SIGKILL after ``grace`` s."""
    for proc in reversed(procs):
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + grace
    for proc in reversed(procs):
        try:
            proc.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
