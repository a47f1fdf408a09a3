"""What every contract checks: declared capabilities are known ones, and the plugin is
found under its registered name."""

from __future__ import annotations

from typing import Any

import jupyter_bighead.plugins as plugins


def check_capabilities(family: str, plugin: Any) -> None:
    """The plugin's ``capabilities`` are a set of strings its family knows."""
    declared: object = getattr(plugin, "capabilities", frozenset())
    assert isinstance(declared, frozenset | set), (
        f"capabilities must be a frozenset of strings, not {type(declared).__name__}")
    unknown = set(plugins.capabilities(plugin)) - plugins.CAPABILITIES[family]
    assert not unknown, (f"unknown {family} capabilities {sorted(unknown)}; known: "
                         f"{sorted(plugins.CAPABILITIES[family])}")


def check_registered(family: str, name: str | None, expected: Any) -> None:
    """:mod:`jupyter_bighead.plugins` lists ``name`` in ``family`` and loads ``expected``
    (the plugin's class, or the object its entry point names) for it. ``name`` is
    ``None`` for a built-in its family keeps outside the plugin registry (built-in
    flavors and blocks live in their own catalogs): nothing to check then."""
    if name is None:
        return
    assert name in plugins.names(family), (
        f"{name!r} is not among the {family} plugins {plugins.names(family)}")
    loaded = plugins.load(family, name)
    assert loaded is expected, f"plugins.load({family!r}, {name!r}) gave {loaded!r}"


def entry_point_name(family: str, obj: Any) -> str | None:
    """The name of the family's entry point that loads ``obj``; ``None`` if none does
    (a built-in kept in its family's own catalog)."""
    for found in plugins.discover(family):
        if found.obj is obj:
            return found.name
    return None
