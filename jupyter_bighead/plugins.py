"""Pluggable backends, one pattern: built-ins by name, plus the classes installed
packages declare in an entry-point group (executors: ``jupyter_bighead.executors``;
deploy targets: ``jupyter_bighead.deploy_targets``). Nothing is imported until asked.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from importlib.metadata import entry_points
from typing import Any

from .errors import InvalidSpec


def plugin_names(group: str, builtins: Mapping[str, str]) -> list[str]:
    """Every name: the built-ins and the entry points of ``group``."""
    return sorted(set(builtins) | {ep.name for ep in entry_points(group=group)})


def load_plugin(group: str, builtins: Mapping[str, str], name: str, kind: str) -> Any:
    """The class registered as ``name``: a built-in (``"module:attr"``) first, then an
    entry point of ``group``.

    Raises
    ------
    InvalidSpec
        If nothing has that name; the message lists the known ones.
    """
    target = builtins.get(name)
    if target is not None:
        module, attr = target.split(":")
        return getattr(importlib.import_module(module), attr)
    for ep in entry_points(group=group):
        if ep.name == name:
            return ep.load()
    raise InvalidSpec(f"unknown {kind} {name!r}; {kind}s: "
                      f"{', '.join(plugin_names(group, builtins))}")
