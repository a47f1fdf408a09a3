"""Differences between two model versions, as plain data for the compare view."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .domain import ModelVersion


def _delta(a: Any, b: Any) -> float | None:
    if isinstance(a, int | float) and isinstance(b, int | float):
        return float(b) - float(a)
    return None


def _mapping_diff(a: Mapping[str, Any], b: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "changed": {k: {"a": a[k], "b": b[k]} for k in sorted(a.keys() & b.keys())
                    if a[k] != b[k]},
        "added": {k: b[k] for k in sorted(b.keys() - a.keys())},
        "removed": {k: a[k] for k in sorted(a.keys() - b.keys())},
    }


def _features(a: tuple[str, ...], b: tuple[str, ...]) -> dict[str, Any]:
    va = dict(ref.rsplit("@", 1) for ref in a)
    vb = dict(ref.rsplit("@", 1) for ref in b)
    return {
        "added": [f"{n}@{vb[n]}" for n in sorted(vb.keys() - va.keys())],
        "removed": [f"{n}@{va[n]}" for n in sorted(va.keys() - vb.keys())],
        "changed": [{"feature": n, "a": va[n], "b": vb[n]}
                    for n in sorted(va.keys() & vb.keys()) if va[n] != vb[n]],
        "unchanged": [f"{n}@{va[n]}" for n in sorted(va.keys() & vb.keys()) if va[n] == vb[n]],
    }


def compare_versions(a: ModelVersion, b: ModelVersion) -> dict[str, Any]:
    """See :meth:`jupyter_bighead.registry.Registry.compare`."""
    metrics = {
        k: {"a": a.metrics.get(k), "b": b.metrics.get(k),
            "delta": _delta(a.metrics.get(k), b.metrics.get(k))}
        for k in sorted(a.metrics.keys() | b.metrics.keys())
    }
    schema = _mapping_diff(dict(a.input_schema), dict(b.input_schema))
    ga, gb = a.lineage.get("git") or {}, b.lineage.get("git") or {}
    return {
        "name": a.name,
        "a": a.version,
        "b": b.version,
        "metrics": metrics,
        "params": _mapping_diff(a.params, b.params),
        "tags": _mapping_diff(a.tags, b.tags),
        "features": _features(a.features, b.features),
        "input_schema": schema,
        "dataset": {
            "same": (a.dataset or {}).get("sha256") == (b.dataset or {}).get("sha256"),
            "a": a.dataset,
            "b": b.dataset,
        },
        "lineage": {
            "commit": {"a": ga.get("commit"), "b": gb.get("commit")},
            "dirty": {"a": ga.get("dirty"), "b": gb.get("dirty")},
            "notebook": {"a": a.lineage.get("notebook"), "b": b.lineage.get("notebook")},
        },
        "model_class": {"a": a.model_class, "b": b.model_class},
    }
