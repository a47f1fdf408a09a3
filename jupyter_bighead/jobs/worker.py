"""The job worker: ``python -m jupyter_bighead.jobs.worker --spec SPEC --out DIR``.

Runs one job (a notebook through papermill, or a ``module:function``) and writes into
``DIR``: the executed notebook, ``metrics.jsonl`` and, last, ``result.json``. The same
entry point runs in a local subprocess and in a Kubernetes pod.

On Linux the worker is a child subreaper: the process started stays a small supervisor
that forks the process running the job, adopts and reaps every orphan under it (a
notebook's double-forked daemon, even one that cleared its environment), and when the
job ends, or on SIGTERM, stops whatever the job left running, as a pod's end would,
except the processes of other runs (a deployment the job created). See ``_procs``.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import importlib
import importlib.metadata
import json
import os
import platform
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jupyter_bighead._procs as _procs

from .._io import atomic_write_text
from ..registry.protect import JOB_ID_ENV
from .job_cluster import PLAN_ENV, job_cluster
from .metrics import METRICS_ENV, read_metrics
from .spec import JobSpec


def environment(kernel: str | None) -> dict[str, Any]:
    """Image, kernel, Python and a hash of the installed packages (like ``pip freeze``)."""
    dists = sorted(f"{d.metadata['Name']}=={d.version}" for d in importlib.metadata.distributions()
                   if d.metadata["Name"])
    return {
        "image": os.environ.get("BIGHEAD_IMAGE"),
        "kernel": kernel,
        "python": platform.python_version(),
        "packages_sha256": hashlib.sha256("\n".join(dists).encode()).hexdigest(),
        "packages": len(dists),
    }


def working_dir(notebook: Path) -> Path:
    """Where a notebook runs: its folder, or for a production notebook its source's folder.

    ``productionize`` writes into ``<stem>_production/`` next to the source, with a
    ``production.json`` naming the source; relative data paths in the notebook were
    written for the source's folder, so that is where it must run.
    """
    manifest = notebook.parent / "production.json"
    try:
        data = json.loads(manifest.read_text("utf-8"))
    except (OSError, ValueError):
        return notebook.parent
    source = Path(str(data.get("source", "")))
    if data.get("notebook") == notebook.name and source.parent.is_dir():
        return source.parent
    return notebook.parent


def run(spec: JobSpec, out: Path) -> dict[str, Any]:
    """Run ``spec``; return the result document (also written to ``out/result.json``)."""
    out.mkdir(parents=True, exist_ok=True)
    metrics_file = out / "metrics.jsonl"
    os.environ[METRICS_ENV] = str(metrics_file)
    # The run's folder is named after the job (or the scheduled pod) on every executor;
    # the kernel inherits it: lineage records it and protected aliases stay put.
    os.environ.setdefault(JOB_ID_ENV, out.name)
    result: dict[str, Any] = {"state": "failed", "started": datetime.now(UTC).isoformat()}
    kernel = spec.kernel
    plan = cluster_plan_from_env()
    try:
        kernel = _kernel_of(spec)
        with job_cluster(plan, out) if plan else contextlib.nullcontext():
            _execute(spec, out, result, kernel)
        result["state"] = "succeeded"
    except Exception as exc:
        details = getattr(exc, "details", None)
        result["error"] = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
        result["details"] = details
        traceback.print_exc()
    result["finished"] = datetime.now(UTC).isoformat()
    result["metrics"] = read_metrics(metrics_file)
    result["environment"] = environment(kernel)
    atomic_write_text(out / "result.json", json.dumps(result, indent=2, default=str))
    print(f"[bighead worker] {result['state']}", flush=True)
    return result


def cluster_plan_from_env() -> dict[str, Any] | None:
    """The Dask cluster the executor asks this run to start (``$BIGHEAD_JOB_CLUSTER``)."""
    text = os.environ.pop(PLAN_ENV, None)  # the job's own processes do not start another
    if not text:
        return None
    plan = json.loads(text)
    return plan if isinstance(plan, dict) and plan.get("workers") else None


def _kernel_of(spec: JobSpec) -> str | None:
    """The kernel a notebook runs with: the spec's, else the notebook's kernelspec."""
    if spec.kernel is not None or not spec.notebook:
        return spec.kernel
    import nbformat

    name = nbformat.read(Path(spec.notebook), as_version=4).metadata.get(
        "kernelspec", {}).get("name")
    return name if isinstance(name, str) else None


def _execute(spec: JobSpec, out: Path, result: dict[str, Any], kernel: str | None) -> None:
    """Run the notebook (with ``kernel``) or the function."""
    if spec.notebook:
        from ..notebooks.execute import run_notebook

        source = Path(spec.notebook)
        executed = out / "executed.ipynb"
        result["outputs"] = {"executed_notebook": str(executed)}
        print(f"[bighead worker] running {source} with papermill", flush=True)
        run_notebook(source, executed, parameters=dict(spec.parameters),
                     kernel_name=kernel, cwd=working_dir(source), progress_bar=False,
                     stream_to=(sys.stdout, sys.stderr))
        return
    module_name, func_name = str(spec.function).split(":")
    print(f"[bighead worker] calling {spec.function}", flush=True)
    value = getattr(importlib.import_module(module_name), func_name)(**spec.parameters)
    try:
        result["return_value"] = json.loads(json.dumps(value))
    except (TypeError, ValueError):
        result["return_value"] = repr(value)


def tee_output(path: Path) -> Callable[[], None]:
    """Copy everything written to fd 1 and 2 (kernel output included) into ``path`` too.

    In a pod the container log stays the primary log; the copy lands next to the
    run's other outputs, where the server reads it without a kubelet round trip.
    Returns a function that flushes and stops the copy.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    original = os.dup(1)
    read_end, write_end = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(write_end, 1)
    os.dup2(write_end, 2)
    os.close(write_end)

    def copy() -> None:
        with path.open("ab") as log:
            while chunk := os.read(read_end, 65536):
                os.write(original, chunk)
                log.write(chunk)
                log.flush()

    thread = threading.Thread(target=copy, name="bighead-worker-tee", daemon=True)
    thread.start()

    def stop() -> None:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(original, 1)  # closes the pipe's last write ends, so copy() sees EOF
        os.dup2(original, 2)
        thread.join(timeout=5)

    return stop


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m jupyter_bighead.jobs.worker")
    parser.add_argument("--spec", required=True, help="path of the job's spec.json")
    parser.add_argument("--out", required=True, help="folder for the run's outputs")
    parser.add_argument("--log", help="also append the run's output to this file")
    args = parser.parse_args(argv)
    if _procs.subreaper():
        child = os.fork()  # no thread runs yet
        if child:
            return supervise(child)
    stop = tee_output(Path(args.log)) if args.log else None
    try:
        spec = JobSpec.from_dict(json.loads(Path(args.spec).read_text("utf-8")))
        result = run(spec, Path(args.out))
    finally:
        if stop is not None:
            stop()
    return 0 if result["state"] == "succeeded" else 1


def supervise(child: int, grace: float = 2.0) -> int:
    """Reap every process that ends under this subreaper until ``child`` (the job) ends
    or SIGTERM comes (``child`` gets it first); then stop what is left under us.

    Returns ``child``'s exit code (128 + the signal that ended it).
    """
    watched = {signal.SIGCHLD, signal.SIGTERM}
    signal.pthread_sigmask(signal.SIG_BLOCK, watched)
    status: int | None = None
    while status is None:
        # Reap first: the child may have ended before SIGCHLD was blocked.
        status = _procs.reap_children().get(child)
        if status is not None:
            break
        info = signal.sigtimedwait(watched, 1.0)
        if info is not None and info.si_signo == signal.SIGTERM:
            print("[bighead worker] SIGTERM: stopping the job", flush=True)
            os.kill(child, signal.SIGTERM)
            status = _wait_for(child, grace)
    left = _procs.stop_descendants(grace)  # SIGTERM stays blocked: this runs to its end
    if left:
        print(f"[bighead worker] processes {left} survived SIGKILL", flush=True)
    code = os.waitstatus_to_exitcode(status)
    return 128 - code if code < 0 else code


def _wait_for(child: int, grace: float) -> int:
    """``child``'s wait status once it has ended (killed after ``grace`` s)."""
    deadline = time.monotonic() + grace
    while True:
        try:
            pid, status = os.waitpid(child, os.WNOHANG)
            if pid:
                return status
            if time.monotonic() > deadline:
                os.kill(child, signal.SIGKILL)
                return os.waitpid(child, 0)[1]
        except ChildProcessError:  # pragma: no cover - reaped meanwhile
            return int(signal.SIGTERM)
        time.sleep(0.05)


if __name__ == "__main__":
    sys.exit(main())
