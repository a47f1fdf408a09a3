"""The Dask cluster the server is set up for (``c.BigheadApp.dask``), as the lab shows it.

:func:`cluster_report` is plain, blocking code for a worker thread: for a scheduler
address it connects with a short timeout and reads the workers and the dashboard's
port; every other setting is answered without importing Dask. :class:`ClusterProbe`
runs it off the event loop, one probe at a time (concurrent requests share it), and
keeps the answer for a few seconds, so a lab polling the panel costs the scheduler at
most one connection per period.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from jupyter_bighead import cluster
from jupyter_bighead.errors import BigheadError

#: Seconds a probe waits for the scheduler before it says the cluster did not answer.
PROBE_TIMEOUT = 5.0
#: Seconds an answer is kept before the scheduler is asked again.
CACHE_SECONDS = 5.0


def setting_report(setting: str, env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """What the setting says, without contacting anything.

    ``setting`` is ``c.BigheadApp.dask`` (empty: the ``$BIGHEAD_DASK`` the server
    inherited, else none). ``state`` is ``none``, ``per_call`` (``local``: a cluster
    is started for each call, none stands between calls; also ``kubernetes``, whose pods
    live only for a call, so nothing is probed), ``address`` (to be probed) or
    ``invalid`` (a bad ``$BIGHEAD_DASK``). ``workers`` is the count a ``kubernetes``
    setting names (None: the default), else the probed count.
    """
    base: dict[str, Any] = {"setting": "none", "kind": cluster.NONE, "address": None,
                            "source": "default", "state": "none", "message": None,
                            "workers": None, "threads": None, "memory": None,
                            "dashboard": None}
    try:
        parsed = (cluster.parse_setting(setting, source="server") if setting
                  else cluster.resolve(env=os.environ if env is None else env))
        described = cluster.describe(parsed)
    except BigheadError as exc:
        return {**base, "source": "env", "state": "invalid", "message": exc.message}
    kind = described["kind"]
    report = {**base, **{k: v for k, v in described.items() if k in base},
              "setting": described["address"] or str(parsed)}
    if kind == cluster.NONE:
        report["message"] = "no cluster: heavy work runs in one process"
    elif kind == cluster.LOCAL:
        report.update(state="per_call", message="a LocalCluster sized to the machine is "
                      "started for each call and closed after it; none is running between calls")
    elif kind == cluster.KUBERNETES:
        workers = described.get("workers")
        report.update(
            state="per_call", workers=workers,
            message=f"a Dask scheduler and {workers or 'the default number of'} worker(s) of "
                    f"compute profile {described['profile']!r} are started as Kubernetes pods "
                    "for each call and deleted after it; none is running between calls")
    else:
        report["state"] = "address"
    return report


def _dashboard(address: str, info: Mapping[str, Any]) -> str | None:
    """The dashboard's status page: the scheduler's host and its dashboard port."""
    port = (info.get("services") or {}).get("dashboard")
    host = urlsplit(address).hostname
    if not port or not host:
        return None
    if ":" in host:  # IPv6
        host = f"[{host}]"
    if host in ("0.0.0.0", "[::]"):
        return None  # a listening address, not one a browser can open
    return f"http://{host}:{port}/status"


def cluster_report(setting: str, *, timeout: float = PROBE_TIMEOUT,
                   env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """:func:`setting_report`, and for a scheduler address its workers (count, threads,
    memory limit in bytes, 0 when a worker has none) and dashboard link, or
    ``state == "unreachable"`` and why. Blocks up to about ``timeout`` seconds."""
    report = setting_report(setting, env)
    if report["state"] != "address":
        return report
    try:
        with cluster.open_client(report["address"], timeout=timeout) as client:
            assert client is not None
            info = client.scheduler_info(n_workers=-1)
    except BigheadError as exc:
        return {**report, "state": "unreachable", "message": exc.message}
    except Exception as exc:  # a report, not a request that failed: say what went wrong
        return {**report, "state": "unreachable",
                "message": f"the scheduler at {report['address']} did not answer: "
                           f"{type(exc).__name__}: {exc}"}
    workers = list((info.get("workers") or {}).values())
    return {**report, "state": "up", "message": None, "workers": len(workers),
            "threads": sum(int(w.get("nthreads") or 0) for w in workers),
            "memory": sum(int(w.get("memory_limit") or 0) for w in workers),
            "dashboard": _dashboard(report["address"], info)}


class ClusterProbe:
    """:func:`cluster_report` off the event loop: one at a time, kept ``ttl`` seconds.

    Settings that need no probe are answered on the loop (no Dask import). A probe of a
    scheduler address imports ``distributed`` in a worker thread; the caller has waited
    for the core imports (see .threads), so no other thread imports at the same time.
    """

    def __init__(self, setting: str, *, timeout: float = PROBE_TIMEOUT,
                 ttl: float = CACHE_SECONDS) -> None:
        self.setting = setting
        self.timeout = timeout
        self.ttl = ttl
        self._answer: tuple[float, dict[str, Any]] | None = None
        self._running: asyncio.Future[dict[str, Any]] | None = None

    def needs_probe(self) -> bool:
        """Whether answering means contacting a scheduler (after the core imports)."""
        return setting_report(self.setting)["state"] == "address"

    async def report(self) -> dict[str, Any]:
        """The cluster now, from a probe at most ``ttl`` seconds old."""
        quick = setting_report(self.setting)
        if quick["state"] != "address":
            return quick
        now = time.monotonic()
        if self._answer is not None and now - self._answer[0] < self.ttl \
                and self._answer[1]["address"] == quick["address"]:
            return self._answer[1]
        loop = asyncio.get_running_loop()
        running = self._running
        if running is None or running.get_loop() is not loop:
            running = self._running = asyncio.ensure_future(loop.run_in_executor(
                None, lambda: cluster_report(self.setting, timeout=self.timeout)))
            running.add_done_callback(self._finished)
        return await asyncio.shield(running)

    def _finished(self, future: asyncio.Future[dict[str, Any]]) -> None:
        if self._running is future:
            self._running = None
        if not future.cancelled() and future.exception() is None:
            self._answer = (time.monotonic(), future.result())
