"""The platform's self-description, shared by ``jupyter bighead status`` and the REST API."""

from __future__ import annotations

import platform
from typing import Any

from ._about import __version__
from .config import BigheadHome


def status_payload(home: BigheadHome, executor: str) -> dict[str, Any]:
    """Describe this installation: version, home, store locations and the default executor."""
    return {
        "version": __version__,
        "home": str(home.root),
        "stores": home.locations(),
        "executor": executor,
        "python": platform.python_version(),
    }
