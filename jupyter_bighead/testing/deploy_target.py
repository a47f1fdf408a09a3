"""The deploy target contract: deployments start, serve, follow new versions, survive a
new target object and stop, whatever runs them.

Subclass :class:`DeployTargetContract` and override the ``deploy_target`` fixture,
building the target on the ``bighead_home`` fixture (the registry the suite fills lives
under it). The suite serves small LightGBM regressors; a target that declares ``call``
is also asked for predictions, which must equal the registered model's.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import jupyter_bighead.plugins as plugins

from ..config import BigheadHome
from ..errors import NotFound
from ..registry import Registry
from ..serving.deploy import STATUSES, Deployment, DeploymentService, DeployTarget
from ._common import check_capabilities, check_registered


@functools.cache
def _models() -> tuple[Any, Any, Any]:
    """Rows and two regressors that predict them differently, trained once per process."""
    import lightgbm as lgb
    import pandas as pd

    rng = np.random.default_rng(3)
    X = pd.DataFrame({"f0": rng.normal(size=400), "f1": rng.normal(size=400)})
    y = X["f0"] * 2 - X["f1"]
    v1 = lgb.LGBMRegressor(n_estimators=10, num_leaves=7, verbose=-1).fit(X, y)
    v2 = lgb.LGBMRegressor(n_estimators=30, num_leaves=7, verbose=-1).fit(X, y)
    return X, v1, v2


def _rows(frame: Any) -> list[dict[str, float]]:
    return [{k: float(v) for k, v in row.items()} for row in frame.to_dict(orient="records")]


class DeployTargetContract:
    """Start, serve, redeploy, pick up, stop: as every deploy target must."""

    #: Seconds a deployment may take to come up.
    start_timeout: float = 120.0

    @pytest.fixture
    def deploy_target(self, bighead_home: BigheadHome) -> DeployTarget:
        """The target under test, built on ``bighead_home``: override in the subclass."""
        raise NotImplementedError("override the `deploy_target` fixture in your "
                                  "DeployTargetContract")

    @pytest.fixture
    def plugin_name(self, deploy_target: DeployTarget) -> str:
        """The name the target is registered under (built-in or entry point).
        Default: its ``name``."""
        return deploy_target.name

    def fresh_target(self, target: DeployTarget) -> DeployTarget:
        """A new object for the same target, as after a server restart (override if the
        target needs options to be built)."""
        return type(target)(home=target.home)

    @pytest.fixture
    def bighead_home(self, tmp_path: Path) -> BigheadHome:
        return BigheadHome(tmp_path / "home").ensure()

    @pytest.fixture
    def registry(self, bighead_home: BigheadHome) -> Iterator[Registry]:
        """The registry under the home, with ``reg`` versions 1 and 2, alias
        ``production`` on 1."""
        _, v1, v2 = _models()
        reg = Registry(bighead_home.registry_uri, artifacts=bighead_home.artifacts)
        reg.register("reg", v1)
        reg.register("reg", v2)
        reg.set_alias("reg", "production", 1)
        yield reg
        reg.close()

    @pytest.fixture
    def service(self, bighead_home: BigheadHome, registry: Registry,
                deploy_target: DeployTarget) -> Iterator[DeploymentService]:
        svc = DeploymentService(bighead_home, targets={deploy_target.name: deploy_target},
                                default_target=deploy_target.name, registry=registry)
        yield svc
        for record in list(svc.store.all()):
            svc.delete(record.id)

    def _wait(self, service: DeploymentService, dep_id: str) -> Deployment:
        return service.wait(dep_id, timeout=self.start_timeout)

    def _check_predictions(self, service: DeploymentService, record: Deployment,
                           model: Any) -> None:
        if not plugins.has_capability(service.target(record.target), "call"):
            return
        X = _models()[0][:5]
        got = service.predict(record.id, _rows(X))
        assert np.allclose(np.asarray(got, dtype=float), model.predict(X)), got

    # -- the contract ----------------------------------------------------------------
    def test_it_is_found_by_its_name_and_declares_known_capabilities(self, deploy_target,
                                                                     plugin_name):
        assert isinstance(deploy_target, DeployTarget)
        assert deploy_target.name != "abstract"
        check_registered("deploy_target", plugin_name, type(deploy_target))
        check_capabilities("deploy_target", deploy_target)

    def test_a_deployment_starts_serves_and_stops_for_good(self, service, deploy_target):
        record = service.create("reg", version=1, user="ada")
        assert record.status in STATUSES and record.target == deploy_target.name
        assert (record.model, record.version, record.user) == ("reg", 1, "ada")
        running = self._wait(service, record.id)
        assert running.status == "running"
        self._check_predictions(service, running, _models()[1])
        assert [d.id for d in service.list()] == [record.id]
        gone = service.delete(record.id)
        assert gone.status == "stopped"
        with pytest.raises(NotFound):
            service.get(record.id)
        deploy_target.stop(running)  # stopping again is harmless

    def test_a_new_target_object_picks_up_every_deployment(self, service, deploy_target,
                                                          bighead_home, registry):
        record = service.create("reg", version=2)
        self._wait(service, record.id)
        fresh = self.fresh_target(deploy_target)
        again = DeploymentService(bighead_home, targets={fresh.name: fresh},
                                  default_target=fresh.name, registry=registry)
        seen = again.get(record.id)
        assert (seen.id, seen.version, seen.status) == (record.id, 2, "running")
        self._check_predictions(again, seen, _models()[2])
        again.delete(record.id)

    def test_redeploy_serves_the_version_the_alias_moved_to(self, service, registry):
        record = service.create("reg", alias="production")
        assert record.version == 1
        self._wait(service, record.id)
        registry.set_alias("reg", "production", 2)
        moved = service.redeploy(record.id)
        assert moved.version == 2
        running = self._wait(service, record.id)
        assert running.version == 2
        self._check_predictions(service, running, _models()[2])

    def test_an_unknown_model_or_version_deploys_nothing(self, service):
        with pytest.raises(NotFound):
            service.create("nope", version=1)
        with pytest.raises(NotFound):
            service.create("reg", version=9)
        assert list(service.store.all()) == []
