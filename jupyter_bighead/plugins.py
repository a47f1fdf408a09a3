"""Pluggable families, one pattern.

Six families extend jupyter-bighead: executors, deploy targets, registry stores (keyed by
URI scheme), model flavors, pipeline blocks and feature sources. Each is a
:class:`Family`: built-ins by name (``"module:attr"`` strings, so nothing is imported
until asked) plus whatever installed packages declare in the family's entry-point group,
e.g. in a third party's ``pyproject.toml``::

    [project.entry-points."jupyter_bighead.executors"]
    slurm = "bighead_slurm:SlurmExecutor"

How a plugin is picked depends on the family: executors and deploy targets by name
(the server's ``c.BigheadApp.executor`` / ``deploy_target``, with keyword arguments in
``executor_options`` / ``deploy_target_options``), registry stores by the scheme of the
registry URL (``c.BigheadApp.registry_url``, options in ``registry_store_options``),
feature sources by an event source's format, flavors by the model they can store, and
blocks by name in the block catalog. A name an installed package declares never shadows
a built-in one.

A plugin says what it can do with a ``capabilities`` attribute (a set of strings, see
:data:`CAPABILITY_HELP`) instead of being probed with ``hasattr``;
:mod:`jupyter_bighead.testing` holds each family's contract suite, for the built-ins and
third parties alike.

This module is in the bottom layer: it imports nothing from jupyter_bighead but errors.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any

from .errors import InvalidSpec


@dataclass(frozen=True)
class Family:
    """One pluggable family."""

    #: Singular name, also the config trait: ``c.BigheadApp.<name>``.
    name: str
    #: Entry-point group third parties declare, e.g. ``"jupyter_bighead.executors"``.
    group: str
    #: What a user calls one, in messages: "executor", "deploy target".
    kind: str
    #: Built-in name -> ``"module:attr"``; imported only when asked for.
    builtins: Mapping[str, str] = field(default_factory=dict)


FAMILIES: dict[str, Family] = {
    family.name: family
    for family in (
        Family("executor", "jupyter_bighead.executors", "executor", {
            "local": "jupyter_bighead.jobs.local:LocalExecutor",
            "kubernetes": "jupyter_bighead.jobs.kubernetes:KubernetesExecutor",
        }),
        Family("deploy_target", "jupyter_bighead.deploy_targets", "deploy target", {
            "local": "jupyter_bighead.serving.local:LocalTarget",
            "kubernetes": "jupyter_bighead.serving.kubernetes:KubernetesTarget",
        }),
        # Keyed by URI scheme: "sqlite:///path", "postgresql://...".
        Family("registry_store", "jupyter_bighead.registry_stores", "registry store", {
            "sqlite": "jupyter_bighead.registry.sqlite:SqliteStore",
            "postgresql": "jupyter_bighead.registry.postgres:PostgresStore",
            "postgres": "jupyter_bighead.registry.postgres:PostgresStore",
            "postgresql+psycopg": "jupyter_bighead.registry.postgres:PostgresStore",
        }),
        # Flavors are found by the model they handle; every one is a candidate.
        Family("flavor", "jupyter_bighead.flavors", "model flavor"),
        Family("block", "jupyter_bighead.blocks", "block"),
        # Keyed by the kind of source they read (EventSource.kind / format).
        Family("feature_source", "jupyter_bighead.feature_sources", "feature source", {
            "parquet": "jupyter_bighead.features.sources:ParquetSource",
            "csv": "jupyter_bighead.features.sources:CsvSource",
            "sql": "jupyter_bighead.features.sources:SqlSource",
        }),
    )
}

#: Capabilities a plugin may declare in its ``capabilities`` attribute, with what each
#: promises. Callers ask :func:`has_capability` instead of probing with ``hasattr``.
CAPABILITY_HELP: dict[str, dict[str, str]] = {
    "executor": {
        "cancel": "cancel() stops a running job",
        "logs": "logs()/read_log() return the job's output while it runs",
        "schedules": "schedule(), schedules() and unschedule() manage cron schedules",
        "scheduler": "its schedules fire only while start_scheduler() runs in this process",
        "gpus": "jobs may ask for GPUs",
        "remote": "jobs run away from this machine (a cluster)",
        "dask_cluster": "a JobSpec may ask for a Dask cluster (cluster={'workers': N, "
                        "'profile': P}) that lives and dies with the job",
    },
    "deploy_target": {
        "resources": "places cpu, memory and gpu requests (the model's declared ones by default)",
        "scale": "runs min..max replicas",
        "follows_alias": "its servers follow their alias themselves (no redeploy needed)",
        "logs": "logs() returns the server's log",
        "call": "call() sends a request to the server (the UI's 'try it')",
        "restart": "heal() restarts a server that died",
    },
    "registry_store": {
        "shared": "several servers may use one store at once",
        "transactions": "a write and the checks before it are one transaction",
    },
    "flavor": {},
    "block": {},
    "feature_source": {},
}
CAPABILITIES: dict[str, frozenset[str]] = {
    name: frozenset(caps) for name, caps in CAPABILITY_HELP.items()
}


def family(name: str) -> Family:
    """The family called ``name``; :class:`InvalidSpec` for an unknown one."""
    try:
        return FAMILIES[name]
    except KeyError:
        raise InvalidSpec(f"unknown plugin family {name!r}; families: "
                          f"{', '.join(sorted(FAMILIES))}") from None


def _entry_points(group: str) -> Iterable[Any]:
    return entry_points(group=group)


@dataclass(frozen=True)
class Discovered:
    """One installed entry point of a family, loaded: the object, or why it failed."""

    name: str
    #: The loaded object; ``None`` when loading failed.
    obj: Any
    #: The distribution that declares it (its module if that is unknown).
    dist: str
    #: ``"ExcType: message"`` when it failed to load (or ``check`` refused it).
    error: str | None = None


def discover(family_name: str, check: Callable[[Any], str | None] | None = None
             ) -> list[Discovered]:
    """Load every entry point of a family's group, never raising for a broken one.

    A package that fails to import, or whose object ``check`` refuses, becomes an entry
    with an ``error``, so a listing (the block catalog, say) shows it instead of
    breaking. ``check`` returns ``None`` to accept, else the reason, which completes a
    sentence about the entry point (``"is not a Block subclass"``).
    """
    fam = family(family_name)
    found = []
    for ep in _entry_points(fam.group):
        dist = ep.dist.name if getattr(ep, "dist", None) is not None else ep.module
        try:
            obj = ep.load()
            reason = check(obj) if check is not None else None
            if reason:
                raise TypeError(f"{ep.value} {reason}")
        except Exception as exc:  # a broken package must not break the caller
            found.append(Discovered(ep.name, None, dist, f"{type(exc).__name__}: {exc}"))
            continue
        found.append(Discovered(ep.name, obj, dist))
    return found


def names(family_name: str) -> list[str]:
    """Every name in a family: the built-ins and the entry points of its group."""
    return _names(family(family_name))


def _names(fam: Family) -> list[str]:
    return sorted(set(fam.builtins) | {ep.name for ep in _entry_points(fam.group)})


def load(family_name: str, name: str) -> Any:
    """The object registered as ``name`` in a family: a built-in first, then an entry
    point of the family's group.

    Raises
    ------
    InvalidSpec
        If nothing has that name (the message lists the known ones), or the package
        that declares it fails to import (the message names the package and why).
    """
    return _load(family(family_name), name)


def _load(fam: Family, name: str) -> Any:
    target = fam.builtins.get(name)
    if target is not None:
        module, attr = target.split(":")
        return getattr(importlib.import_module(module), attr)
    for ep in _entry_points(fam.group):
        if ep.name == name:
            try:
                return ep.load()
            except Exception as exc:  # the package's own error, named as what it is
                dist = ep.dist.name if getattr(ep, "dist", None) is not None else ep.module
                raise InvalidSpec(f"{fam.kind} {name!r} from {dist} ({ep.value}) failed to "
                                  f"load: {type(exc).__name__}: {exc}") from exc
    known = _names(fam)
    raise InvalidSpec(f"unknown {fam.kind} {name!r}; {fam.kind}s: "
                      f"{', '.join(known) if known else '(none installed)'}")


def create(family_name: str, name: str, options: Mapping[str, Any] | None = None,
           *args: Any, **context: Any) -> Any:
    """An instance: ``load(family, name)(*args, **context, **options)``. ``args`` and
    ``context`` are what the caller supplies (a store's URI, a home folder); ``options``
    the admin's ``c.BigheadApp.<family>_options``.

    Raises
    ------
    InvalidSpec
        For an unknown name, or options the plugin does not take (the message names the
        plugin and the options). Errors raised inside its constructor pass through.
    """
    cls = load(family_name, name)
    kwargs = {**context, **dict(options or {})}
    check_arguments(cls, f"{family(family_name).kind} {name!r}", args, kwargs)
    return cls(*args, **kwargs)


def check_arguments(target: Any, what: str, args: tuple[Any, ...],
                    kwargs: Mapping[str, Any]) -> None:
    """Raise :class:`InvalidSpec` naming ``what`` if ``target(*args, **kwargs)`` does not
    fit its signature (checked before calling, so a ``TypeError`` from inside the call
    is not mistaken for a bad option)."""
    import inspect

    try:
        signature = inspect.signature(target)
    except (TypeError, ValueError):  # no signature to check (a builtin): let the call say
        return
    try:
        signature.bind(*args, **kwargs)
    except TypeError as exc:
        raise InvalidSpec(f"{what} does not take these options "
                          f"({', '.join(sorted(kwargs)) or 'none'}): {exc}") from None


def capabilities(plugin: Any) -> frozenset[str]:
    """What a plugin (class or instance) declares it can do; empty if it says nothing."""
    return frozenset(getattr(plugin, "capabilities", ()) or ())


def has_capability(plugin: Any, capability: str) -> bool:
    """Whether a plugin declares ``capability``."""
    return capability in capabilities(plugin)


# The names the first round used, kept for third-party code that imported them: the
# same lookup as names() and load(), over the family the caller describes.
def plugin_names(group: str, builtins: Mapping[str, str]) -> list[str]:
    """Every name: the built-ins and the entry points of ``group`` (see :func:`names`)."""
    return _names(Family(group, group, group, builtins))


def load_plugin(group: str, builtins: Mapping[str, str], name: str, kind: str) -> Any:
    """The object registered as ``name`` in ``group`` (see :func:`load`)."""
    return _load(Family(group, group, kind, builtins), name)
