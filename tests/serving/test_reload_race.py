"""A reload asked for while another runs is never lost (the cause of the flaky
``--workers`` test: a restarted worker's first load resolved the alias just before it
moved, and the reload that followed was dropped as "already running")."""

from __future__ import annotations

import threading
from typing import Any

from jupyter_bighead.serving.runtime.server import ModelHolder, ServeOptions


class PausingRegistry:
    """The real registry; the first ``get`` pauses after resolving, until released."""

    def __init__(self, registry: Any) -> None:
        self.registry = registry
        self.resolved = threading.Event()
        self.release = threading.Event()
        self.paused = False

    def get(self, *args: Any, **kwargs: Any) -> Any:
        mv = self.registry.get(*args, **kwargs)
        if not self.paused:
            self.paused = True
            self.resolved.set()
            assert self.release.wait(60)
        return mv

    def __getattr__(self, name: str) -> Any:
        return getattr(self.registry, name)


def test_a_reload_requested_during_a_reload_runs_after_it(registry):
    registry.set_alias("clf", "production", 1)
    pausing = PausingRegistry(registry)
    holder = ModelHolder(ServeOptions(model_ref="clf@production"), registry=pausing)
    first = threading.Thread(target=holder.reload, kwargs={"force": True})
    first.start()
    try:
        assert pausing.resolved.wait(60)  # the first load has resolved production -> v1
        registry.set_alias("clf", "production", 2)
        queued = holder.reload()  # SIGHUP or POST /admin/reload while it runs
        assert queued["reloaded"] is False and "running" in queued["reason"]
        pausing.release.set()
        first.join(60)
        assert holder.current is not None and holder.current.version == 2
        assert holder.reload()["reloaded"] is False  # already on v2: nothing left pending
    finally:
        pausing.release.set()
        first.join(60)
        registry.set_alias("clf", "production", 1)
