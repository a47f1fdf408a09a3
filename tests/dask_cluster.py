"""One small LocalCluster shared by every Dask test in a pytest run.

Starting worker processes takes seconds, so the Dask tests of tests/jobs and
tests/pipeline share one ``LocalCluster(n_workers=2, threads_per_worker=1)``, started on
first use and closed when the test process exits.
"""

from __future__ import annotations

import atexit
import threading
from typing import Any

_LOCK = threading.Lock()
_SHARED: dict[str, Any] = {}


def shared_client() -> Any:
    """A ``distributed.Client`` on the shared two-worker LocalCluster."""
    with _LOCK:
        if "client" not in _SHARED:
            from distributed import Client, LocalCluster

            cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                   dashboard_address=None, memory_limit="3GiB")
            client = Client(cluster, set_as_default=False)
            _SHARED.update(cluster=cluster, client=client)
            atexit.register(_close)
        return _SHARED["client"]


def _close() -> None:
    client, cluster = _SHARED.pop("client", None), _SHARED.pop("cluster", None)
    if client is not None:
        client.close()
    if cluster is not None:
        cluster.close()
