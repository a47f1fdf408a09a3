"""Cell tags: which cells are prototype, production or parameters.

The tag lives in ``cell.metadata.tags``, the standard nbformat field, so it survives
git, nbdime and papermill. An untagged code cell is production code.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

PROTOTYPE = "prototype"
PARAMETERS = "parameters"  # papermill's tag


def tags_of(cell: Mapping[str, Any]) -> list[str]:
    """The cell's tags (an empty list when it has none)."""
    tags = (cell.get("metadata") or {}).get("tags") or []
    return [str(t) for t in tags]


def is_prototype(cell: Mapping[str, Any]) -> bool:
    return PROTOTYPE in tags_of(cell)


def is_parameters(cell: Mapping[str, Any]) -> bool:
    return PARAMETERS in tags_of(cell)


def is_production_code(cell: Mapping[str, Any]) -> bool:
    """A code cell without the prototype tag."""
    return cell.get("cell_type") == "code" and not is_prototype(cell)


def set_prototype(cells: Iterable[dict[str, Any]], prototype: bool = True) -> None:
    """Add (or remove) the prototype tag on each cell, in place, keeping other tags."""
    for cell in cells:
        meta = cell.setdefault("metadata", {})
        tags = [t for t in tags_of(cell) if t != PROTOTYPE]
        if prototype:
            tags.append(PROTOTYPE)
        if tags:
            meta["tags"] = tags
        else:
            meta.pop("tags", None)
