"""Executors are found by name: built-ins and the jupyter_bighead.executors entry points."""

from __future__ import annotations

from importlib.metadata import EntryPoint

import pytest

from jupyter_bighead import plugins as plugins_module
from jupyter_bighead.errors import InvalidSpec
from jupyter_bighead.jobs.executor import executor_class
from jupyter_bighead.jobs.local import LocalExecutor


class TeamExecutor(LocalExecutor):
    """A third-party backend, as a package would register it."""

    name = "team"


def test_builtin_and_entry_point_executors_are_found(monkeypatch):
    assert executor_class("local") is LocalExecutor
    assert executor_class("kubernetes").name == "kubernetes"
    ep = EntryPoint(name="team", value=f"{__name__}:TeamExecutor",
                    group="jupyter_bighead.executors")
    monkeypatch.setattr(plugins_module, "entry_points",
                        lambda group: [ep] if group == "jupyter_bighead.executors" else [])
    assert executor_class("team") is TeamExecutor


def test_an_unknown_executor_lists_the_known_ones(monkeypatch):
    monkeypatch.setattr(plugins_module, "entry_points", lambda group: [])
    with pytest.raises(InvalidSpec, match="unknown executor 'nope'; executors: kubernetes, local"):
        executor_class("nope")
