"""A job function for the GPU queue tests: records the GPUs it was given, then waits.

It runs in the worker subprocess (``function="tests.jobs.gpu_probe:hold"``), so it can
only tell the test what it saw through files.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path


def hold(folder: str, name: str, timeout: float = 120.0) -> dict[str, str]:
    """Write ``<name>.seen`` (the GPU environment), then wait for ``<name>.go``.

    ``<name>.go`` holding ``fail`` makes the job fail instead of succeeding.
    """
    root = Path(folder)
    seen = {key: os.environ.get(key, "<unset>")
            for key in ("CUDA_VISIBLE_DEVICES", "NVIDIA_VISIBLE_DEVICES", "CUDA_DEVICE_ORDER")}
    tmp = root / f"{name}.seen.tmp"
    tmp.write_text(json.dumps(seen))
    tmp.replace(root / f"{name}.seen")
    gate = root / f"{name}.go"
    deadline = time.monotonic() + timeout
    while not gate.exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{gate} never appeared")
        time.sleep(0.05)
    if gate.read_text() == "fail":
        raise RuntimeError(f"{name} was told to fail")
    return seen
