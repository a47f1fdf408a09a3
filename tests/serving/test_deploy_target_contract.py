"""The deploy target contract (jupyter_bighead.testing.DeployTargetContract) over the
built-in local target."""

from __future__ import annotations

import pytest

from jupyter_bighead.serving.local import LocalTarget
from jupyter_bighead.testing.deploy_target import DeployTargetContract


class TestLocalTarget(DeployTargetContract):
    @pytest.fixture
    def deploy_target(self, bighead_home):
        return LocalTarget(home=bighead_home, poll_seconds=0.5)
