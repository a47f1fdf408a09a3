"""Cell source helpers shared by the dependency check and the magic translator."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def cell_source(cell: Mapping[str, Any]) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def first_line(source: str) -> str:
    for line in source.splitlines():
        if line.strip():
            return line.strip()[:120]
    return ""


def to_python(source: str) -> str:
    """IPython source to plain Python: magics and shell escapes become get_ipython() calls."""
    # IPython is a dependency (through ipywidgets); import it only when needed.
    from IPython.core.inputtransformer2 import TransformerManager

    return str(TransformerManager().transform_cell(source))
