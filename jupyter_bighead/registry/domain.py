"""The registry's domain values: frozen dataclasses that serialise to plain JSON data."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class ArtifactFile:
    """One stored file of a version, relative to the version's artifact folder."""

    path: str
    sha256: str
    size: int


@dataclass(frozen=True)
class ModelVersion:
    """A registered model version and everything recorded about it.

    ``lineage`` holds where the model came from: ``git`` (commit, dirty, root),
    ``notebook`` (path, production_cells_sha256), ``python``, ``packages``, ``cwd``.
    ``dataset`` is the validation data's fingerprint (rows, columns, sha256), or
    ``None`` when no validation data was given. ``aliases`` is a snapshot taken when
    the value was read.
    """

    name: str
    version: int
    created_at: str
    created_by: str
    flavor: str
    model_class: str
    task: str
    params: Mapping[str, Any] = field(default_factory=dict)
    metrics: Mapping[str, float] = field(default_factory=dict)
    tags: Mapping[str, str] = field(default_factory=dict)
    features: tuple[str, ...] = ()
    input_schema: tuple[tuple[str, str], ...] = ()
    dataset: Mapping[str, Any] | None = None
    lineage: Mapping[str, Any] = field(default_factory=dict)
    description: str = ""
    artifacts: tuple[ArtifactFile, ...] = ()
    aliases: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able data (lists instead of tuples)."""
        out = dataclasses.asdict(self)
        out["features"] = list(self.features)
        out["input_schema"] = [{"name": n, "dtype": d} for n, d in self.input_schema]
        out["aliases"] = list(self.aliases)
        return out


@dataclass(frozen=True)
class ModelSummary:
    """A registered model name: its newest version and current aliases."""

    name: str
    latest_version: int
    created_at: str
    updated_at: str
    aliases: Mapping[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class AliasEvent:
    """One move of an alias: ``from_version`` ``None`` means it was new, ``to_version``
    ``None`` means it was removed. ``action`` is ``set``, ``rollback`` or ``delete``."""

    id: int
    name: str
    alias: str
    from_version: int | None
    to_version: int | None
    action: str
    at: str
    by: str

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a listing. Iterating a page iterates its items.

    ``next_cursor`` is ``None`` on the last page; pass it back as ``cursor=`` to get
    the next one. ``total`` counts every item of the listing, not just this page.
    """

    items: tuple[T, ...]
    total: int
    next_cursor: str | None = None

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> T:
        return self.items[index]

    def to_dict(self) -> dict[str, Any]:
        return {
            "items": [item.to_dict() if hasattr(item, "to_dict") else item for item in self.items],
            "total": self.total,
            "next_cursor": self.next_cursor,
        }
