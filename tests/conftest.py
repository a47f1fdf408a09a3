"""Shared fixtures: a Jupyter server with the Bighead extension on a temporary home."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytest_jupyter.jupyter_server", "tests.k8s.fixtures"]


@pytest.fixture
def bighead_home(tmp_path):
    return tmp_path / "bighead-home"


@pytest.fixture
def jp_server_config(bighead_home):
    return {
        "ServerApp": {"jpserver_extensions": {"jupyter_bighead_server": True}},
        "BigheadApp": {"home": str(bighead_home)},
    }


def pytest_collection_modifyitems(config, items):
    """Run the browser tests last.

    Playwright's sync API keeps an event loop running for the whole session once a
    browser test has started; pytest_jupyter's loop fixtures must not meet it.
    """
    items.sort(key=lambda item: "/tests/ui/" in str(item.path).replace("\\", "/"))
