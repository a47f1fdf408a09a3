"""Periodic background work the extension starts and stops with the server.

Each task is a daemon thread (its work blocks on sockets, files and subprocesses, so it
stays off the event loop) that waits on an event between runs, so :meth:`Periodic.stop`
ends it within one run's time rather than one interval's.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


class Periodic:
    """Call ``fn`` every ``interval`` seconds in a thread of its own, until stopped.

    The first call comes after ``interval`` seconds (a server starts quickly and does
    its first pass once it is up). An exception is logged and the next pass goes on.
    """

    def __init__(self, name: str, interval: float, fn: Callable[[], object]) -> None:
        if interval <= 0:
            raise ValueError("interval must be > 0")
        self.name = name
        self.interval = interval
        self._fn = fn
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Start the thread (once; a stopped task does not start again)."""
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the thread to end and wait up to ``timeout`` seconds for its current pass."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self._fn()
            except Exception as exc:  # keep going through transient errors
                log.warning("jupyter-bighead: %s: %s", self.name, exc)
