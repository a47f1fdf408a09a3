"""The default registry: the one under ``$BIGHEAD_HOME``, shared by the facade
(``jupyter_bighead.register``/``load``), widgets, jobs and serving."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .core import Registry

_REGISTRIES: dict[str, Registry] = {}
_LOCK = threading.Lock()


def default_registry() -> Registry:
    """The default registry, under ``$BIGHEAD_HOME`` (one instance per home folder)."""
    from ..config import BigheadHome
    from .core import Registry

    home = BigheadHome.resolve()
    key = str(home.root)
    with _LOCK:
        if key not in _REGISTRIES:
            _REGISTRIES[key] = Registry(home.registry_uri, artifacts=home.artifacts)
        return _REGISTRIES[key]
