"""A package whose plugins fail to import is reported, never fatal: selecting one says
which package failed and why; listings (block catalog, flavors) show it as broken."""

from __future__ import annotations

import pytest

from jupyter_bighead import plugins
from jupyter_bighead.errors import InvalidSpec

GROUPS = {"executors": "broken", "deploy_targets": "broken", "registry_stores": "broken",
          "flavors": "broken", "blocks": "Broken", "feature_sources": "broken"}


@pytest.fixture
def broken_package(tmp_path, monkeypatch):
    from jupyter_bighead.models import flavors

    site = tmp_path / "site"
    (site / "broken_plugins").mkdir(parents=True)
    (site / "broken_plugins" / "__init__.py").write_text(
        "raise RuntimeError('half-installed: missing libfoo.so')\n")
    info = site / "broken_plugins-2.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: broken-plugins\n"
                                   "Version: 2.0\n")
    (info / "entry_points.txt").write_text("".join(
        f"[jupyter_bighead.{group}]\n{name} = broken_plugins:Thing\n\n"
        for group, name in GROUPS.items()))
    monkeypatch.syspath_prepend(str(site))
    flavors._reset_discovery()
    yield site
    flavors._reset_discovery()


def test_names_list_them_without_importing_them(broken_package):
    import sys

    assert "broken" in plugins.names("executor") and "Broken" in plugins.names("block")
    assert "broken_plugins" not in sys.modules


@pytest.mark.parametrize("family", ["executor", "deploy_target", "registry_store",
                                    "feature_source"])
def test_selecting_one_names_the_package_and_why(broken_package, family):
    with pytest.raises(InvalidSpec, match=r"'broken' from broken-plugins \(broken_plugins:Thing\)"
                                          r" failed to load: RuntimeError: half-installed"):
        plugins.load(family, "broken")


def test_the_first_rounds_helpers_wrap_the_error_the_same_way(broken_package):
    group = plugins.FAMILIES["executor"].group
    builtins = plugins.FAMILIES["executor"].builtins
    assert plugins.plugin_names(group, builtins) == plugins.names("executor")
    with pytest.raises(InvalidSpec, match=r"executor 'broken' from broken-plugins "
                                          r"\(broken_plugins:Thing\) failed to load"):
        plugins.load_plugin(group, builtins, "broken", "executor")
    with pytest.raises(InvalidSpec, match=r"unknown executor 'nope'; executors: .*broken"):
        plugins.load_plugin(group, builtins, "nope", "executor")


def test_every_way_in_reports_it_as_an_invalid_spec(broken_package, tmp_path):
    from jupyter_bighead.features import EventSource
    from jupyter_bighead.features.sources import read_columns
    from jupyter_bighead.jobs.executor import get_executor
    from jupyter_bighead.registry.store import open_store

    with pytest.raises(InvalidSpec, match=r"executor 'broken' .* failed to load"):
        get_executor("broken")
    with pytest.raises(InvalidSpec, match=r"registry store 'broken' .* failed to load"):
        open_store("broken://somewhere")
    (tmp_path / "e.data").write_text("x")
    source = EventSource("e", path=str(tmp_path / "e.data"), format="broken")
    with pytest.raises(InvalidSpec, match=r"feature source 'broken' .* failed to load"):
        read_columns(source, ["ts"])


def test_the_block_catalog_and_the_flavors_list_it_as_broken(broken_package):
    from jupyter_bighead.models import flavor_for
    from jupyter_bighead.pipeline.catalog import catalog

    entry = next(e for e in catalog() if e.name == "Broken")
    assert entry.cls is None and "RuntimeError: half-installed" in entry.error
    assert entry.source == "entry point broken-plugins"
    found = {d.name: d for d in plugins.discover("flavor")}
    assert found["broken"].obj is None and "half-installed" in found["broken"].error
    with pytest.raises(InvalidSpec, match=r"cannot store .*broken"):
        flavor_for(object())


def test_discover_refuses_objects_the_check_rejects(tmp_path, monkeypatch):
    site = tmp_path / "site"
    (site / "odd_plugins").mkdir(parents=True)
    (site / "odd_plugins" / "__init__.py").write_text("Thing = 42\n")
    info = site / "odd_plugins-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: odd-plugins\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[jupyter_bighead.blocks]\nOdd = odd_plugins:Thing\n")
    monkeypatch.syspath_prepend(str(site))
    [odd] = [d for d in plugins.discover("block", check=lambda obj: None if isinstance(obj, type)
                                         else "is not a class") if d.name == "Odd"]
    assert odd.obj is None and odd.dist == "odd-plugins"
    assert odd.error == "TypeError: odd_plugins:Thing is not a class"
