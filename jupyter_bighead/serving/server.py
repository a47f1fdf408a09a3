"""Old home of the inference server: see :mod:`jupyter_bighead.serving.runtime.server`.

Kept so ``from jupyter_bighead.serving.server import ServeOptions, serve`` still works.
"""

from __future__ import annotations

from .runtime.server import (
    DEFAULT_BODY_TIMEOUT,
    DEFAULT_HEADER_TIMEOUT,
    DEFAULT_MAX_BODY,
    ModelHolder,
    ServeOptions,
    make_app,
    make_http_server,
    serve,
)

__all__ = ["DEFAULT_BODY_TIMEOUT", "DEFAULT_HEADER_TIMEOUT", "DEFAULT_MAX_BODY", "ModelHolder",
           "ServeOptions", "make_app", "make_http_server", "serve"]
