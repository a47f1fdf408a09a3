"""The OpenAPI 3 document the server publishes (``openapi.json``, beside this module)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jupyter_bighead import __version__

SPEC_PATH = Path(__file__).resolve().parent / "openapi.json"


@cache
def load_openapi() -> dict[str, Any]:
    """The OpenAPI document, with ``info.version`` set to the installed version."""
    spec: dict[str, Any] = json.loads(SPEC_PATH.read_text("utf-8"))
    spec["info"]["version"] = __version__
    return spec
