"""jupyter-bighead: an ML platform that lives inside JupyterLab.

The core library. It is importable from a kernel, a papermill run or a pod, and
never imports jupyter_server, tornado, lightgbm or kubernetes at import time:
heavy dependencies are imported inside the functions that need them.
"""

from __future__ import annotations

from .errors import BigheadError, Conflict, Forbidden, InvalidSpec, NotFound

try:
    from ._version import __version__
except ImportError:  # pragma: no cover - only in a raw source tree that was never built
    __version__ = "0.0.0+unknown"

__all__ = ["BigheadError", "Conflict", "Forbidden", "InvalidSpec", "NotFound", "__version__"]


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    """Where the prebuilt labextension lives, for ``jupyter labextension develop``."""
    return [{"src": "labextension", "dest": "jupyter-bighead"}]
