"""The executor contract (jupyter_bighead.testing.ExecutorContract) over every built-in
backend: local, and Kubernetes against a real kube-apiserver."""

from __future__ import annotations

import pytest

from jupyter_bighead.errors import InvalidSpec
from jupyter_bighead.jobs import JobSpec
from jupyter_bighead.testing.executor import ExecutorContract
from jupyter_bighead.testing.executor import assert_nothing_left as _assert_nothing_left

from .conftest import make_kubernetes, make_local


def _cluster_leftovers(executor, record):
    if executor.name != "kubernetes":
        return []
    return executor.leftovers(record.id, record.backend["namespace"])


def assert_nothing_left(executor, record):
    """As the contract checks it, with a Kubernetes executor's Jobs, Pods and ConfigMaps."""
    _assert_nothing_left(executor, record, lambda r: _cluster_leftovers(executor, r))


class TestBuiltinExecutors(ExecutorContract):
    # Kubernetes runs against a real kube-apiserver and controller-manager, with the
    # TEST-ONLY node simulator standing in for the kubelet (tests/k8s/harness.py).
    @pytest.fixture(params=["local", pytest.param("kubernetes", marks=pytest.mark.k8s)])
    def executor(self, request, tmp_path):
        if request.param == "local":
            return make_local(tmp_path)
        return make_kubernetes(tmp_path, request.getfixturevalue("kube"))

    def leftovers(self, executor, record):
        return _cluster_leftovers(executor, record)


def test_a_malformed_schedule_is_refused():
    with pytest.raises(InvalidSpec, match="cron hour '25'"):
        JobSpec(notebook="x.ipynb", schedule="0 25 * * *")
