"""JSON-ready views of the feature catalog, shared by the REST API and the widget.

Everything here returns plain, JSON-safe data (no NaN, no timestamps objects), and
goes through the same :class:`FeatureRepo` code a notebook calls.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .._json import json_safe
from ..errors import InvalidSpec
from .frames import result_column
from .repo import FeatureRepo


def summary(item: dict[str, Any]) -> dict[str, Any]:
    """The fields a catalog listing shows for one feature (latest version)."""
    definition = item.get("definition", {})
    source = definition.get("source", {})
    return json_safe({
        "name": item["name"],
        "version": item["version"],
        "versions": item.get("n_versions", 1),
        "agg": definition.get("agg"),
        "column": definition.get("column"),
        "window": definition.get("window"),
        "source": source.get("name"),
        "entity": source.get("entity"),
        "owner": item.get("owner"),
        "tags": item.get("tags", []),
        "description": item.get("description", ""),
        "created_at": item.get("created_at"),
    })


def list_catalog(
    repo: FeatureRepo,
    search: str | None = None,
    tag: str | None = None,
    owner: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> dict[str, Any]:
    """A page of the catalog matching ``search`` (name, tag or owner), ``tag`` and ``owner``."""
    if limit < 1 or limit > 1000 or offset < 0:
        raise InvalidSpec("limit must be 1-1000 and offset >= 0")
    items = repo.list_features(search or None, tag=tag or None, owner=owner or None)
    return {"total": len(items), "offset": offset, "limit": limit,
            "items": [summary(i) for i in items[offset: offset + limit]]}


def describe(repo: FeatureRepo, name: str) -> dict[str, Any]:
    """One feature with all its versions and what changed between them."""
    return dict(json_safe(repo.describe(name)))


def preview(
    repo: FeatureRepo,
    refs: Sequence[str],
    entities: Sequence[Any],
    at: str | None = None,
) -> dict[str, Any]:
    """Feature values for ``entities`` as of ``at`` (ISO time; None means now).

    This is :meth:`FeatureRepo.online`, the code path serving uses.
    """
    if not refs or not all(isinstance(r, str) and r for r in refs):
        raise InvalidSpec("'features' must be a non-empty list of feature references")
    if not entities:
        raise InvalidSpec("'entities' must be a non-empty list of entity ids")
    when = None
    if at:
        from .timestamps import parse_timestamp

        when = parse_timestamp(at)
        if when.tzinfo is not None:
            when = when.tz_convert("UTC").tz_localize(None)
    frame = repo.online(list(entities), list(refs), at=when)
    # Each value under the reference asked for (``name:N`` included), as before.
    frame = frame.rename(columns={result_column(r): r for r in refs if result_column(r) != r})
    rows = [json_safe(dict(zip(frame.columns, row, strict=True)))
            for row in frame.itertuples(index=False, name=None)]
    return {"features": list(refs), "rows": rows}
