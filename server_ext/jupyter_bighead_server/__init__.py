"""The jupyter-bighead Jupyter server extension.

Thin, authenticated REST handlers under ``/bighead/api/`` that translate HTTP to
calls into the core library (:mod:`jupyter_bighead`). All logic lives in the core.
"""

from __future__ import annotations

from typing import Any


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    from .app import BigheadApp

    return [{"module": "jupyter_bighead_server", "app": BigheadApp}]
