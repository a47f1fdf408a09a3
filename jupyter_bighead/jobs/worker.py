"""The job worker: ``python -m jupyter_bighead.jobs.worker --spec SPEC --out DIR``.

Runs one job (a notebook through papermill, or a ``module:function``) and writes into
``DIR``: the executed notebook, ``metrics.jsonl`` and, last, ``result.json``. The same
entry point runs in a local subprocess and in a Kubernetes pod.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import importlib.metadata
import json
import os
import platform
import sys
import threading
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .._io import atomic_write_text
from ..registry.protect import JOB_ID_ENV
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
    try:
        if spec.notebook:
            import nbformat

            from ..notebooks.execute import run_notebook

            source = Path(spec.notebook)
            if kernel is None:
                kernel = nbformat.read(source, as_version=4).metadata.get(
                    "kernelspec", {}).get("name")
            executed = out / "executed.ipynb"
            result["outputs"] = {"executed_notebook": str(executed)}
            print(f"[bighead worker] running {source} with papermill", flush=True)
            run_notebook(source, executed, parameters=dict(spec.parameters),
                         kernel_name=kernel, cwd=working_dir(source), progress_bar=False,
                         stream_to=(sys.stdout, sys.stderr))
        else:
            module_name, func_name = str(spec.function).split(":")
            print(f"[bighead worker] calling {spec.function}", flush=True)
            value = getattr(importlib.import_module(module_name), func_name)(**spec.parameters)
            try:
                result["return_value"] = json.loads(json.dumps(value))
            except (TypeError, ValueError):
                result["return_value"] = repr(value)
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
    stop = tee_output(Path(args.log)) if args.log else None
    try:
        spec = JobSpec.from_dict(json.loads(Path(args.spec).read_text("utf-8")))
        result = run(spec, Path(args.out))
    finally:
        if stop is not None:
            stop()
    return 0 if result["state"] == "succeeded" else 1


if __name__ == "__main__":
    sys.exit(main())
