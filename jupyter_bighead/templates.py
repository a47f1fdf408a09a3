"""Locate the files under ``templates/`` (nbconvert, Kubernetes, starter notebooks).

In a wheel they are shipped as ``jupyter_bighead/_templates``; in a source checkout
(editable install) they are the repository's top-level ``templates/`` folder.
"""

from __future__ import annotations

from pathlib import Path

from ._io import safe_join
from .errors import NotFound

_HERE = Path(__file__).resolve().parent


def templates_root() -> Path:
    """The folder holding the shipped templates."""
    for candidate in (_HERE / "_templates", _HERE.parent / "templates"):
        if candidate.is_dir():
            return candidate
    raise NotFound("the jupyter-bighead templates folder is missing from this installation")


def template_path(*parts: str) -> Path:
    """The path of one template, e.g. ``template_path("notebooks", "starter.ipynb")``.

    Raises
    ------
    NotFound
        If no such template exists.
    Forbidden
        If the parts try to leave the templates folder.
    """
    path = safe_join(templates_root(), "/".join(parts))
    if not path.is_file():
        raise NotFound(f"template {'/'.join(parts)!r} does not exist")
    return path
