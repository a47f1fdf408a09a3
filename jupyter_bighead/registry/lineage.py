"""Where a model came from: git state, source notebook, environment and data fingerprints.

Every probe tolerates absence: no git binary, no repository, no notebook, a
package that is not installed. Missing facts are recorded as ``None``, never guessed.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
from importlib import metadata
from pathlib import Path
from typing import Any

from ..errors import InvalidSpec
from ..gitinfo import git_state
from ..identity import current_user

#: Packages whose versions decide whether a model loads and predicts the same.
KEY_PACKAGES = ("jupyter-bighead", "lightgbm", "numpy", "pandas", "scikit-learn", "scipy",
                "pyarrow")
__all__ = ["KEY_PACKAGES", "current_user", "dataset_fingerprint", "environment_info", "git_info",
           "input_schema", "lineage", "notebook_info", "production_cells",
           "production_cells_sha256"]
#: Set by jupyter_server (2.x) in kernels it starts: the notebook's path.
SESSION_ENV = "JPY_SESSION_NAME"


def git_info(path: str | os.PathLike[str]) -> dict[str, Any] | None:
    """Commit, dirty flag and root of the git repository containing ``path``, or ``None``.

    Runs nothing the repository configures (fsmonitor, filters, hooks): see ``gitinfo``.
    """
    start = Path(path)
    folder = start if start.is_dir() else start.parent
    if not folder.is_dir():
        return None
    state = git_state(folder)
    return None if state.root is None else state.to_dict()


def production_cells(notebook: dict[str, Any]) -> list[str]:
    """The sources of a notebook's production cells: code cells not tagged ``prototype``."""
    sources = []
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        if "prototype" in (cell.get("metadata", {}).get("tags") or []):
            continue
        src = cell.get("source", "")
        sources.append("".join(src) if isinstance(src, list) else str(src))
    return sources


def production_cells_sha256(notebook: dict[str, Any]) -> str:
    """sha256 of a notebook's production cells (see :func:`production_cells`).

    Only the cells' sources count, in order, so outputs, execution counts and
    markdown edits do not change the hash.
    """
    return hashlib.sha256(json.dumps(production_cells(notebook)).encode("utf-8")).hexdigest()


def notebook_info(notebook: str | os.PathLike[str] | None) -> dict[str, Any] | None:
    """Path and production-cell hash of the source notebook.

    ``notebook=None`` uses the kernel's notebook when Jupyter tells us
    (``JPY_SESSION_NAME``); no notebook at all gives ``None``.

    Raises
    ------
    InvalidSpec
        If an explicitly named notebook does not exist or is not notebook JSON.
    """
    explicit = notebook is not None
    if notebook is None:
        env = os.environ.get(SESSION_ENV, "")
        if not env.endswith(".ipynb"):
            return None
        notebook = env
    path = Path(notebook).expanduser()
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        if explicit:
            raise InvalidSpec(f"cannot read notebook {str(path)!r}: {exc}") from exc
        return None
    # The sources are kept too, so a reviewer report can diff against this version.
    return {"path": str(path.resolve()), "production_cells_sha256": production_cells_sha256(data),
            "production_cells": production_cells(data)}


def environment_info() -> dict[str, Any]:
    """Python version and the versions of :data:`KEY_PACKAGES` (``None`` if absent)."""
    packages: dict[str, str | None] = {}
    for name in KEY_PACKAGES:
        try:
            packages[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            packages[name] = None
    return {"python": platform.python_version(), "packages": packages}


def lineage(notebook: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """Everything above, for the version record."""
    nb = notebook_info(notebook)
    where = Path(nb["path"]) if nb else Path.cwd()
    return {
        "git": git_info(where),
        "notebook": nb,
        "cwd": str(Path.cwd()),
        # Set by the job worker: which job (e.g. which sweep trial) registered this.
        "job_id": os.environ.get("BIGHEAD_JOB_ID") or None,
        # Set by jupyter_server in the kernels it starts: registered by a person running
        # the notebook in the lab (not a job or a headless papermill run).
        "interactive": bool(os.environ.get(SESSION_ENV)),
        **environment_info(),
    }


def _frame_like(X: Any) -> bool:
    return hasattr(X, "columns") and hasattr(X, "dtypes")


def input_schema(X: Any, feature_names: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """Column names and dtypes the model expects: from a DataFrame if given, else the
    model's feature names with the array's dtype (``"unknown"`` without data)."""
    if X is not None and _frame_like(X):
        return tuple((str(c), str(t)) for c, t in zip(X.columns, X.dtypes, strict=True))
    dtype = str(getattr(X, "dtype", "unknown")) if X is not None else "unknown"
    return tuple((n, dtype) for n in feature_names)


def dataset_fingerprint(X: Any, y: Any) -> dict[str, Any]:
    """Rows, columns and a content hash of the validation data (features and label)."""
    import numpy as np
    import pandas as pd

    h = hashlib.sha256()
    if _frame_like(X):
        columns = [str(c) for c in X.columns]
        h.update(json.dumps([columns, [str(t) for t in X.dtypes]]).encode("utf-8"))
        h.update(pd.util.hash_pandas_object(X, index=False).to_numpy().tobytes())
        rows = len(X)
    else:
        arr = np.ascontiguousarray(np.asarray(X))
        if arr.ndim != 2:
            raise InvalidSpec(f"X_valid must be 2-dimensional, got shape {arr.shape}")
        columns = [f"Column_{i}" for i in range(arr.shape[1])]
        h.update(json.dumps([list(arr.shape), str(arr.dtype)]).encode("utf-8"))
        h.update(arr.tobytes())
        rows = arr.shape[0]
    y_series = pd.Series(np.asarray(y))
    h.update(pd.util.hash_pandas_object(y_series, index=False).to_numpy().tobytes())
    return {"rows": int(rows), "columns": columns, "sha256": h.hexdigest()}
