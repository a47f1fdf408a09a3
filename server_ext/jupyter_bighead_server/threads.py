"""Importing the core on first use, and running core calls off the event loop, safely.

A Jupyter server with the extension starts without importing pandas, scikit-learn,
LightGBM or the core's modules: most servers never serve a Bighead request. The first
request that needs the core pays for the imports, in one worker thread, and every
concurrent first request awaits that same import (:class:`CoreImports`).

One thread imports everything, in a fixed order, because two threads importing pandas,
scikit-learn or plotly for the first time at once can trip Python's import deadlock
detection, and one of them then sees a partially initialized module ("partially
initialized module 'pandas' has no attribute 'Series'"). The core's own modules are
imported there too: handlers import them lazily, and two threads importing a package and
one of its submodules for the first time at once deadlock on the import locks; Python
breaks that by handing one of them the partially initialized module ("cannot import name
'EvaluationReport' from partially initialized module 'jupyter_bighead.evaluation.report'").
"""

from __future__ import annotations

import asyncio
import functools
import importlib
import logging
import os
import pkgutil
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")

#: Imported in this order, one thread, on first use.
HEAVY = ("numpy", "pandas", "pyarrow.parquet", "sklearn.base", "lightgbm",
         "plotly.graph_objects", "nbformat", "nbconvert")
#: Then every module of the core except these, which the server never uses: what runs in
#: kernels (widgets), in a job's own process (the worker) or in tools (the command line,
#: the demo, and the contract suites, which import pytest).
CORE_SKIPPED = ("jupyter_bighead.widgets", "jupyter_bighead.testing", "jupyter_bighead.cli",
                "jupyter_bighead.cli_commands", "jupyter_bighead.demo",
                "jupyter_bighead.jobs.worker",
                "jupyter_bighead.__main__")

log = logging.getLogger(__name__)


def core_modules() -> list[str]:
    """The core's modules the first use imports, parents before their submodules.

    Found on disk (``pkgutil.walk_packages`` would import every package to look inside,
    the skipped ones too)."""
    import jupyter_bighead

    def walk(paths: Iterable[str], prefix: str) -> Iterator[str]:
        for info in pkgutil.iter_modules(list(paths), prefix):
            if _skipped(info.name):
                continue
            yield info.name
            if info.ispkg:
                yield from walk([os.path.join(p, info.name.rsplit(".", 1)[1])
                                 for p in paths], info.name + ".")

    return ["jupyter_bighead", *walk(jupyter_bighead.__path__, "jupyter_bighead.")]


def _skipped(name: str) -> bool:
    return any(name == s or name.startswith(s + ".") for s in CORE_SKIPPED)


def default_modules() -> list[str]:
    """What :class:`CoreImports` imports by default: :data:`HEAVY`, then the core."""
    return [*HEAVY, *core_modules()]


class CoreImports:
    """The one-time import of the heavy libraries and the core, shared by every caller.

    Nothing happens until :meth:`wait` (from a thread) or :meth:`ready` (from the event
    loop) is first called; then one thread imports :func:`default_modules` and every
    caller, first or concurrent, waits for that same thread. A module that fails to
    import is skipped (its users report the error when they import it themselves).
    """

    def __init__(self, modules: Callable[[], Iterable[str]] = default_modules) -> None:
        self._modules = modules
        self._done = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._waiter: asyncio.Future[bool] | None = None

    @property
    def done(self) -> bool:
        """Whether the imports have finished."""
        return self._done.is_set()

    @property
    def started(self) -> bool:
        """Whether the imports have begun (a Bighead request or task needed the core)."""
        return self._thread is not None

    def start(self) -> None:
        """Begin importing in a background thread (once; later calls do nothing)."""
        with self._lock:
            if self._thread is not None:
                return
            self._thread = threading.Thread(target=self._import_all, name="bighead-imports",
                                            daemon=True)
            self._thread.start()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the imports are done (starting them if needed); False on timeout."""
        if not self._done.is_set():
            self.start()
        return self._done.wait(timeout)

    async def ready(self) -> None:
        """Wait, without blocking the event loop, until the imports are done.

        Concurrent callers on one loop share one waiting worker thread.
        """
        if self._done.is_set():
            return
        loop = asyncio.get_running_loop()
        waiter = self._waiter
        if waiter is None or waiter.get_loop() is not loop:
            waiter = self._waiter = asyncio.ensure_future(
                loop.run_in_executor(None, self.wait))
        await asyncio.shield(waiter)

    def _import_all(self) -> None:
        try:
            for name in self._modules():
                try:
                    importlib.import_module(name)
                except Exception as exc:  # an optional library: its users report the error
                    log.debug("jupyter-bighead: could not preload %s: %s", name, exc)
        finally:
            self._done.set()


async def in_thread(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run ``fn`` in the default executor (the caller has awaited the core imports).

    Unlike ``asyncio.to_thread`` the call does not inherit the handler's context
    variables: jupyter_core keeps "this thread's event loop" in one, so nbclient's
    sync calls (productionize with ``execute``) would find the server's running loop
    and fail with "This event loop is already running".
    """
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(None, functools.partial(fn, *args, **kwargs))
