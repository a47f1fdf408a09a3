"""What every contract checks: declared capabilities are known ones."""

from __future__ import annotations

from typing import Any

from .. import plugins


def check_capabilities(family: str, plugin: Any) -> None:
    """The plugin's ``capabilities`` are a set of strings its family knows."""
    declared: object = getattr(plugin, "capabilities", frozenset())
    assert isinstance(declared, frozenset | set), (
        f"capabilities must be a frozenset of strings, not {type(declared).__name__}")
    unknown = set(plugins.capabilities(plugin)) - plugins.CAPABILITIES[family]
    assert not unknown, (f"unknown {family} capabilities {sorted(unknown)}; known: "
                         f"{sorted(plugins.CAPABILITIES[family])}")
