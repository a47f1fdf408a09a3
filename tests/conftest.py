"""Shared fixtures: a Jupyter server with the Bighead extension on a temporary home."""

from __future__ import annotations

import os

import pytest

pytest_plugins = ["pytest_jupyter.jupyter_server", "tests.k8s.fixtures"]


@pytest.fixture(autouse=True)
def _bighead_environment_is_restored():
    """Put every ``BIGHEAD_*`` variable back after each test.

    A server extension started in this process (pytest_jupyter) exports its settings
    to ``os.environ`` for the kernels it starts (``BIGHEAD_HOME``, ``BIGHEAD_DASK``, ...),
    as a real server does; without this, one test's scheduler address or home would be
    inherited by every later test.
    """
    import jupyter_bighead.roles as roles

    before = {k: v for k, v in os.environ.items() if k.startswith("BIGHEAD_")}
    server_checks = roles._server_checks  # set by a server started in this process
    yield
    for key in [k for k in os.environ if k.startswith("BIGHEAD_")]:
        if key not in before:
            del os.environ[key]
    os.environ.update(before)
    roles._server_checks = server_checks


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
