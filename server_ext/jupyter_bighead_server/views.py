"""The JSON views the REST API returns, built in one place.

Core objects already have their own views (``to_dict()``, ``Deployment.view()``,
``registry.api.version_view``); what this module adds is the server's part: file paths
turned into contents paths the lab can open, and fields the UI must not see.
"""

from __future__ import annotations

from typing import Any

from .paths import ContentsPaths

#: Paths in a productionize result, given back as contents paths.
PRODUCTION_PATHS = ("source", "notebook", "module", "manifest", "executed")


def job_view(record: Any, paths: ContentsPaths) -> dict[str, Any]:
    """A job record for the UI: no process ids, ``final``, and contents paths for the
    outputs (``<name>_contents_path``, None outside the root) and the notebook."""
    data: dict[str, Any] = record.to_dict()
    for key in ("pid", "pid_started"):
        data.pop(key, None)
    data["final"] = record.final
    outputs = dict(data.get("outputs") or {})
    for name, path in list(outputs.items()):
        outputs[f"{name}_contents_path"] = paths.contents_path(path)
    data["outputs"] = outputs
    spec = data["spec"]
    if spec.get("notebook"):
        try:
            spec["notebook"] = paths.relative(spec["notebook"])
        except ValueError:
            pass  # a job submitted from Python with its notebook outside the root
    return data


def feature_diff_view(name: str, a: int, b: int, changes: Any) -> dict[str, Any]:
    """What changed between versions ``a`` and ``b`` of a feature."""
    from jupyter_bighead._json import json_safe

    return {"name": name, "a": a, "b": b, "changes": json_safe(changes)}


def version_view(view: dict[str, Any], paths: ContentsPaths) -> dict[str, Any]:
    """``registry.api.version_view``'s result with the lineage notebook's contents path
    (None when it is outside the root), where the lab can open it."""
    notebook = (view["version"].get("lineage") or {}).get("notebook") or {}
    if notebook.get("path"):
        notebook["contents_path"] = paths.contents_path(notebook["path"])
    return view


def production_view(result: Any, paths: ContentsPaths) -> dict[str, Any]:
    """A productionize result with its paths as contents paths."""
    payload: dict[str, Any] = result.to_dict()
    for key in PRODUCTION_PATHS:
        if payload[key]:
            payload[key] = paths.relative(payload[key])
    return payload
