"""A job function for the job-cluster tests (``function="tests.jobs.dask_probe:use_cluster"``).

It runs in the job's worker process and tells the test what it saw through a file.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path


def use_cluster(report: str, gate: str | None = None, fail: bool = False) -> int:
    """Compute on the cluster ``$BIGHEAD_DASK`` names (through ``cluster=None``), write
    what it saw to ``report`` (address, workers' pids and memory limits, a sum); then,
    with ``gate``, wait for that file; with ``fail``, raise."""
    from jupyter_bighead.cluster import open_client

    with open_client() as client:
        assert client is not None, "no cluster in $BIGHEAD_DASK"
        workers = client.scheduler_info(n_workers=-1)["workers"]
        total = client.submit(sum, range(101)).result()
        pids = client.run(os.getpid)
        seen = {"address": os.environ.get("BIGHEAD_DASK"), "sum": total,
                "workers": len(workers), "worker_pids": sorted(pids.values()),
                "memory_limits": sorted(w["memory_limit"] for w in workers.values()),
                "threads": sorted(w["nthreads"] for w in workers.values())}
    Path(report).write_text(json.dumps(seen), "utf-8")
    if gate:
        deadline = time.monotonic() + 120
        while not Path(gate).exists() and time.monotonic() < deadline:
            time.sleep(0.05)
    if fail:
        raise RuntimeError("the job failed on purpose")
    return total
