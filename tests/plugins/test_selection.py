"""Plugins are selected by name (by URI scheme for registry stores, by format for feature
sources, by model type for flavors) through jupyter_bighead.plugins, and only while the
package that declares them is installed."""

from __future__ import annotations

import pytest

from jupyter_bighead import plugins
from jupyter_bighead.errors import InvalidSpec
from jupyter_bighead.features import EventSource
from jupyter_bighead.jobs.executor import executor_class, executor_names, get_executor
from jupyter_bighead.registry import Registry
from jupyter_bighead.registry.store import open_store
from jupyter_bighead.serving.deploy import DeploymentService, target_class, target_names

THIRD_PARTY = {"executor": "thirdparty", "deploy_target": "thirdparty",
               "registry_store": "memory", "flavor": "thirdparty.linear",
               "feature_source": "jsonl", "block": "Negate"}


def test_every_family_lists_the_package_s_plugin_only_while_it_is_installed(
        thirdparty, monkeypatch):
    for family, name in THIRD_PARTY.items():
        assert name in plugins.names(family), family
    monkeypatch.undo()  # the package's folder leaves sys.path: uninstalled
    for family, name in THIRD_PARTY.items():
        assert name not in plugins.names(family), family


def test_executors_by_name_with_options(thirdparty, tmp_path):
    from jupyter_bighead.config import BigheadHome

    assert "thirdparty" in executor_names() and "local" in executor_names()
    cls = executor_class("thirdparty")
    assert cls.__module__ == "bighead_thirdparty.executor"
    home = BigheadHome(tmp_path / "home")
    executor = get_executor("thirdparty", home=home, nice=3)
    assert type(executor) is cls and executor.nice == 3
    assert plugins.capabilities(executor) == {"cancel", "logs"}
    assert plugins.has_capability(executor_class("local"), "schedules")
    with pytest.raises(InvalidSpec, match=r"executor 'thirdparty' does not take these "
                                          r"options .*bogus"):
        get_executor("thirdparty", home=home, bogus=1)
    with pytest.raises(InvalidSpec, match="nice must be 0-19"):
        get_executor("thirdparty", home=home, nice=99)


def test_an_executor_that_is_not_installed_names_the_installed_ones(tmp_path):
    with pytest.raises(InvalidSpec, match=r"unknown executor 'thirdparty'; executors: "
                                          r"kubernetes, local"):
        executor_class("thirdparty")


def test_deploy_targets_by_name_with_options(thirdparty, tmp_path):
    from jupyter_bighead.config import BigheadHome

    assert {"local", "kubernetes", "thirdparty"} <= set(target_names())
    service = DeploymentService(BigheadHome(tmp_path / "home"), default_target="thirdparty",
                                target_options={"thirdparty": {"extra_args": ["--workers", "2"]}})
    target = service.target("thirdparty")
    assert type(target) is target_class("thirdparty")
    assert target.extra_args == ["--workers", "2"]
    assert plugins.capabilities(target) == {"call"}


def test_registry_stores_by_uri_scheme_with_options(thirdparty, tmp_path):
    store = open_store("memory://selection", lock_timeout_s=2.5)
    assert type(store).__module__ == "bighead_thirdparty.store"
    assert store.lock_timeout_s == 2.5
    reg = Registry("memory://selection", artifacts=tmp_path / "art",
                   store_options={"lock_timeout_s": 4})
    assert reg.store.lock_timeout_s == 4.0
    with pytest.raises(InvalidSpec, match="memory:// registry needs artifacts"):
        Registry("memory://selection")
    with pytest.raises(InvalidSpec, match="does not take these options"):
        open_store("memory://selection", pool_size=3)


def test_an_unknown_scheme_names_the_supported_ones_and_the_installed_extra(thirdparty):
    with pytest.raises(InvalidSpec, match=r"unsupported registry store URI 'mysql://db'.*"
                                          r"'sqlite:///path.db'.*'memory://"):
        open_store("mysql://db")


def test_a_scheme_that_is_not_installed_is_unsupported():
    with pytest.raises(InvalidSpec, match="unsupported registry store URI 'memory://x'"):
        open_store("memory://x")


def test_models_of_the_package_s_type_are_stored_by_its_flavor(thirdparty, tmp_path):
    import pandas as pd
    from bighead_thirdparty.flavor import LinearScorer

    reg = Registry(tmp_path / "reg")
    mv = reg.register("linear", LinearScorer({"x": 3.0}, bias=1.0))
    assert mv.flavor == "thirdparty.linear" and mv.task == "regression"
    assert reg.load("linear").predict(pd.DataFrame({"x": [1.0, 2.0]})).tolist() == [4.0, 7.0]


def test_feature_sources_by_format(thirdparty, tmp_path):
    from jupyter_bighead.features.sources import read_columns

    path = tmp_path / "e.jsonl"
    path.write_text('{"user_id": 1, "ts": 5, "amount": 2.5}\n{"user_id": 2, "ts": 6, '
                    '"amount": 4.0}\n')
    source = EventSource("e", path=str(path), entity="user_id", timestamp="ts",
                         format="jsonl")
    assert source.kind == "jsonl"
    assert read_columns(source, ["amount"])["amount"].tolist() == [2.5, 4.0]


def test_blocks_of_the_package_are_in_the_catalog(thirdparty):
    from jupyter_bighead.pipeline.catalog import catalog

    entry = next(e for e in catalog() if e.name == "Negate")
    assert entry.error is None and entry.source == "entry point bighead-thirdparty"
