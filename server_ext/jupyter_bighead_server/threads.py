"""Running core calls off the event loop, safely.

Handlers call the core in worker threads. Two threads importing pandas, scikit-learn or
plotly for the first time at once can trip Python's import deadlock detection, and one of
them then sees a partially initialized module ("partially initialized module 'pandas'
has no attribute 'Series'"). So the heavy libraries are imported once, in one background
thread started with the server (which itself stays quick to start), and worker threads
wait for that before running core code. The core's own modules are imported there too,
as handlers import them lazily.
"""

from __future__ import annotations

import asyncio
import functools
import importlib
import logging
import pkgutil
import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

#: Imported in this order, one thread, at server start.
HEAVY = ("numpy", "pandas", "pyarrow.parquet", "sklearn.base", "lightgbm",
         "plotly.graph_objects", "nbformat", "nbconvert")
#: Then every module of the core except these (kernel-side only): handlers import core
#: modules lazily, and two threads importing a package and one of its submodules for the
#: first time at once deadlock on the import locks; Python breaks that by handing one of
#: them the partially initialized module ("cannot import name 'EvaluationReport' from
#: partially initialized module 'jupyter_bighead.evaluation.report'").
CORE_SKIPPED = ("jupyter_bighead.widgets",)

log = logging.getLogger(__name__)
_READY = threading.Event()
_LOCK = threading.Lock()
_started = False


def core_modules() -> list[str]:
    """The core's modules the warm-up imports, parents before their submodules."""
    import jupyter_bighead

    return ["jupyter_bighead"] + [
        m.name for m in pkgutil.walk_packages(jupyter_bighead.__path__, "jupyter_bighead.",
                                              onerror=_unimportable)
        if not m.name.startswith(CORE_SKIPPED)]


def _unimportable(name: str) -> None:
    log.debug("jupyter-bighead: could not preload %s", name)


def _import_all() -> None:
    try:
        for name in (*HEAVY, *core_modules()):
            try:
                importlib.import_module(name)
            except Exception as exc:  # an optional library: its users report the error
                log.debug("jupyter-bighead: could not preload %s: %s", name, exc)
    finally:
        _READY.set()


def warm_up() -> None:
    """Start importing the heavy libraries in a background thread (once)."""
    global _started
    with _LOCK:
        if _started:
            return
        _started = True
    threading.Thread(target=_import_all, name="bighead-imports", daemon=True).start()


def wait_ready() -> None:
    """Block until the heavy libraries are imported (starting that if needed)."""
    if not _READY.is_set():
        warm_up()
        _READY.wait()


def _call(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    wait_ready()
    return fn(*args, **kwargs)


async def ready() -> None:
    """Wait, without blocking the event loop, until the start-up imports are done.

    A handler that imports a core module lazily on the event loop awaits this first, so
    its import never races the background import thread (the partially initialized
    module of :data:`CORE_SKIPPED`'s comment).
    """
    if not _READY.is_set():
        await asyncio.get_running_loop().run_in_executor(None, wait_ready)


async def in_thread(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run ``fn`` in the default executor once the heavy imports are done.

    Unlike ``asyncio.to_thread`` the call does not inherit the handler's context
    variables: jupyter_core keeps "this thread's event loop" in one, so nbclient's
    sync calls (productionize with ``execute``) would find the server's running loop
    and fail with "This event loop is already running".
    """
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(None, functools.partial(_call, fn, *args, **kwargs))
