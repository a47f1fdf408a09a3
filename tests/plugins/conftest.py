"""The third-party test package: ``tests/plugins/thirdparty`` holds ``bighead_thirdparty``
and its ``bighead_thirdparty-0.1.dist-info`` (entry points for all six plugin families),
as pip would install it. The ``thirdparty`` fixture puts that folder on ``sys.path``."""

from __future__ import annotations

from pathlib import Path

import pytest

THIRDPARTY = Path(__file__).parent / "thirdparty"


@pytest.fixture
def thirdparty(monkeypatch):
    """Install the third-party package for one test (its entry points become visible)."""
    from jupyter_bighead.models import flavors

    monkeypatch.syspath_prepend(str(THIRDPARTY))  # also invalidates the import caches
    flavors._reset_discovery()  # entry-point flavors are looked up once per process
    yield THIRDPARTY
    flavors._reset_discovery()
