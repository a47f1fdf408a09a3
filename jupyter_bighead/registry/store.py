"""The registry's metadata store: an abstract interface and the URI that picks a backend.

Like mlflow's tracking stores, one abstract class documents the contract and each
backend implements it: :class:`~.sqlite.SqliteStore` (``sqlite:///path.db``, the
embedded default) and :class:`~.postgres.PostgresStore` (``postgresql://…``). The URI's
scheme picks the class through :mod:`jupyter_bighead.plugins` (family
``"registry_store"``), so a package can add one under the entry-point group
``jupyter_bighead.registry_stores`` named by its scheme; this module imports none of
them. Every store passes the same contract suite
(:class:`jupyter_bighead.testing.RegistryStoreContract`).

Stores hold metadata only; artifact bytes live in an
:class:`~.artifacts.ArtifactStore`, and the store records their sha256.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import jupyter_bighead.plugins as plugins

from ..errors import InvalidSpec
from .domain import AliasEvent, ArtifactFile, ModelSummary, ModelVersion


@dataclass(frozen=True)
class NewVersion:
    """What :meth:`Store.create_version` records; the store assigns the version number."""

    name: str
    created_at: str
    created_by: str
    flavor: str
    model_class: str
    task: str
    artifact_dir: str
    artifacts: tuple[ArtifactFile, ...]
    params: Mapping[str, Any] = field(default_factory=dict)
    metrics: Mapping[str, float] = field(default_factory=dict)
    tags: Mapping[str, str] = field(default_factory=dict)
    features: tuple[str, ...] = ()
    input_schema: tuple[tuple[str, str], ...] = ()
    dataset: Mapping[str, Any] | None = None
    lineage: Mapping[str, Any] = field(default_factory=dict)
    description: str = ""
    evaluation: Mapping[str, Any] | None = None


class Store(abc.ABC):
    """Metadata of registered models, versions and aliases.

    Every method is one transaction. Names, aliases and versions reach the store
    already validated by :mod:`.names`. Unknown names, versions and aliases raise
    :class:`~jupyter_bighead.errors.NotFound`.

    A store is built as ``cls(uri, **options)``; it declares what it can do in
    ``capabilities`` (see ``plugins.CAPABILITY_HELP["registry_store"]``).
    """

    uri: str
    capabilities: ClassVar[frozenset[str]] = frozenset()

    @abc.abstractmethod
    def create_version(self, new: NewVersion) -> ModelVersion:
        """Record a new version of ``new.name`` and return it.

        Allocates the next version number (1 for a new name) and inserts the version
        and its artifact hashes in one transaction, so concurrent callers on the same
        name get distinct numbers and a crash leaves no trace. Numbers are never reused.
        """

    @abc.abstractmethod
    def get_version(self, name: str, version: int) -> ModelVersion:
        """One version. Raises ``NotFound`` for an unknown name or version."""

    @abc.abstractmethod
    def get_artifact_dir(self, name: str, version: int) -> str:
        """The artifact folder (relative to the artifact root) of a version. ``NotFound``."""

    @abc.abstractmethod
    def list_versions(
        self, name: str, *, limit: int | None, offset: int, before: int | None
    ) -> tuple[list[ModelVersion], int]:
        """Versions of ``name``, newest first, and the total count.

        ``before`` is a keyset cursor: only versions lower than it. Raises ``NotFound``
        for an unknown name.
        """

    @abc.abstractmethod
    def get_evaluation(self, name: str, version: int) -> dict[str, Any] | None:
        """The evaluation report stored with a version (plain data), or ``None``."""

    @abc.abstractmethod
    def get_model(self, name: str) -> ModelSummary:
        """One model name. Raises ``NotFound``."""

    @abc.abstractmethod
    def list_models(
        self, *, limit: int | None, offset: int, after: str | None, prefix: str | None
    ) -> tuple[list[ModelSummary], int]:
        """Models ordered by name, and the total count (of those matching ``prefix``).

        ``after`` is a keyset cursor: only names greater than it.
        """

    @abc.abstractmethod
    def set_alias(
        self,
        name: str,
        alias: str,
        version: int | None,
        *,
        by: str,
        at: str,
        action: str = "set",
        expected: int | object | None = ...,
    ) -> AliasEvent:
        """Point ``alias`` at ``version`` (``None`` removes it) and log the move.

        ``expected`` (when given) is the version the caller believes the alias points
        at now (``None``: unset); if it moved meanwhile, raise ``Conflict``. Raises
        ``NotFound`` if the version does not exist, or when removing an unset alias.
        """

    @abc.abstractmethod
    def aliases(self, name: str) -> dict[str, int]:
        """Current aliases of ``name``. Raises ``NotFound`` for an unknown name."""

    @abc.abstractmethod
    def alias_history(
        self, name: str, alias: str | None, *, limit: int | None, offset: int
    ) -> tuple[list[AliasEvent], int]:
        """Alias moves of ``name`` (only ``alias`` if given), newest first, and the total."""

    @abc.abstractmethod
    def artifact_dirs(self) -> set[str]:
        """Every ``artifact_dir`` a committed version refers to (for garbage collection)."""

    def close(self) -> None:  # noqa: B027 - optional hook, a no-op by default
        """Release connections."""


def store_scheme(uri: str) -> str:
    """The scheme of a store URI (``"sqlite"`` for ``sqlite:///x.db``), lower-cased;
    ``""`` without one."""
    scheme, sep, _ = uri.partition("://")
    return scheme.lower() if sep else ""


def open_store(uri: str, **options: Any) -> Store:
    """The store for ``uri``: ``sqlite:///ABS/PATH.db``, ``postgresql://…``, or a URI
    whose scheme an installed registry store declares. The class is called as
    ``cls(uri, **options)``; ``options`` are the store's keyword arguments (the server's
    ``c.BigheadApp.registry_store_options``).

    Raises
    ------
    InvalidSpec
        For a scheme no store declares (the message names the supported ones), or
        options the store does not take.
    """
    scheme = store_scheme(uri)
    known = plugins.names("registry_store")
    if scheme not in known or (scheme == "sqlite" and not uri.startswith("sqlite:///")):
        others = [f"'{s}://…'" for s in known
                  if s not in ("sqlite", "postgresql", "postgres", "postgresql+psycopg")]
        raise InvalidSpec(
            f"unsupported registry store URI {uri!r}: use a folder, 'sqlite:///path.db' "
            "or 'postgresql://user@host/db'" + (f" (or {', '.join(others)})" if others else "")
        )
    store = plugins.create("registry_store", scheme, options, uri)
    if not isinstance(store, Store):
        raise InvalidSpec(f"registry store {scheme!r} ({type(store).__name__}) is not a "
                          "jupyter_bighead.registry.store.Store")
    return store
