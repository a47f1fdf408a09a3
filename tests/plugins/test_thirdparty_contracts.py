"""A third party's plugins, installed only through entry points, pass the same contract
suites as the built-ins: executor, deploy target, registry store, flavor, feature source
and block."""

from __future__ import annotations

import json
import uuid

import numpy as np
import pytest

from jupyter_bighead import plugins
from jupyter_bighead.features import EventSource
from jupyter_bighead.testing.block import BlockContract
from jupyter_bighead.testing.deploy_target import DeployTargetContract
from jupyter_bighead.testing.executor import ExecutorContract
from jupyter_bighead.testing.feature_source import FeatureSourceContract
from jupyter_bighead.testing.flavor import FlavorContract
from jupyter_bighead.testing.registry_store import RegistryStoreContract


class TestThirdPartyExecutor(ExecutorContract):
    @pytest.fixture
    def executor(self, thirdparty, bighead_home, profiles):
        return plugins.create("executor", "thirdparty", {"nice": 1}, home=bighead_home,
                              profiles=profiles)

    def test_it_is_the_package_s_executor(self, executor):
        assert type(executor).__module__ == "bighead_thirdparty.executor"
        assert executor.nice == 1
        assert not plugins.has_capability(executor, "schedules")


class TestThirdPartyDeployTarget(DeployTargetContract):
    @pytest.fixture
    def deploy_target(self, thirdparty, bighead_home):
        return plugins.create("deploy_target", "thirdparty", {"extra_args": ["--workers", "1"]},
                              home=bighead_home)


class TestThirdPartyRegistryStore(RegistryStoreContract):
    @pytest.fixture
    def store_uri(self, thirdparty):
        return f"memory://contract-{uuid.uuid4().hex[:12]}"

    @pytest.fixture
    def store_options(self):
        return {"lock_timeout_s": 5.0}

    def test_the_options_reach_the_store(self, reg):
        assert type(reg.store).__name__ == "MemoryStore"
        assert reg.store.lock_timeout_s == 5.0


class TestThirdPartyFlavor(FlavorContract):
    @pytest.fixture
    def flavor_model(self, thirdparty):
        from bighead_thirdparty.flavor import LinearScorer

        return LinearScorer({"a": 2.0, "b": -0.5}, bias=1.0)

    def test_it_is_the_package_s_flavor(self, flavor):
        assert flavor.name == "thirdparty.linear"


class TestThirdPartyFeatureSource(FeatureSourceContract):
    @pytest.fixture
    def write_source(self, thirdparty, tmp_path):
        counter = iter(range(1000))

        def write(frame, name):
            path = tmp_path / f"events-{next(counter)}.jsonl"
            rows = frame.to_dict(orient="records")
            path.write_text("".join(json.dumps({k: (None if isinstance(v, float) and np.isnan(v)
                                                    else v) for k, v in row.items()}) + "\n"
                                    for row in rows))
            return EventSource(name, path=str(path), entity="user_id", timestamp="ts",
                               format="jsonl")
        return write


class TestThirdPartyBlock(BlockContract):
    @pytest.fixture
    def block(self, thirdparty):
        return plugins.load("block", "Negate")(columns=["a", "b"], scale=2.0)
