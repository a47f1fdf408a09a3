"""Session fixtures of the Kubernetes tests (a pytest plugin loaded by tests/conftest.py)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from .harness import KubeCluster, NodeSimulator, find_binaries, kube_cluster

NAMESPACE = "bighead-tests"


@dataclass
class Kube:
    """The control plane, its simulated node, and the namespace the tests use."""

    cluster: KubeCluster
    simulator: NodeSimulator
    namespace: str

    def core(self):
        from kubernetes import client

        return client.CoreV1Api(self.cluster.api_client())

    def batch(self):
        from kubernetes import client

        return client.BatchV1Api(self.cluster.api_client())


@pytest.fixture(scope="session")
def kube() -> Iterator[Kube]:
    """A real kube-apiserver + controller-manager and the TEST-ONLY node simulator.

    ``KUBECONFIG`` points at it for the session, so an executor built without a
    kubeconfig (as after a restart) finds the cluster the way it would in real life.
    """
    bindir, why = find_binaries()
    if bindir is None:
        pytest.skip(f"Kubernetes binaries unavailable: {why}")
    with kube_cluster(bindir) as cluster:
        simulator = NodeSimulator(cluster).start()
        previous = os.environ.get("KUBECONFIG")
        os.environ["KUBECONFIG"] = str(cluster.kubeconfig)
        try:
            env = Kube(cluster, simulator, NAMESPACE)
            env.core().create_namespace({"metadata": {"name": NAMESPACE}})
            yield env
        finally:
            simulator.stop()
            if previous is None:
                os.environ.pop("KUBECONFIG", None)
            else:
                os.environ["KUBECONFIG"] = previous
