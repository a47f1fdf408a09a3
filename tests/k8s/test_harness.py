"""The control plane harness survives the port race it used to lose.

Ports are chosen free and bound later by etcd and kube-apiserver; on a busy machine
another process can take one in between. Here another process deterministically does.
"""

from __future__ import annotations

import socket

import pytest

from .harness import PortTaken, find_binaries, free_ports, kube_cluster

pytestmark = pytest.mark.k8s


def test_free_ports_are_distinct_bindable_and_below_the_ephemeral_range():
    from .harness import _ephemeral_range

    ports = free_ports(3)
    assert len(set(ports)) == 3
    assert all(p < _ephemeral_range()[0] for p in ports)


@pytest.mark.parametrize("taken_index", [0, 2], ids=["etcd-port-taken", "apiserver-port-taken"])
def test_the_control_plane_starts_when_another_process_takes_its_port(taken_index):
    bindir, why = find_binaries()
    if bindir is None:
        pytest.skip(f"Kubernetes binaries unavailable: {why}")
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken = squatter.getsockname()[1]
        handed: list[list[int]] = []

        def ports(n: int) -> list[int]:
            chosen = free_ports(n)
            if not handed:  # the first choice loses the race, as on a busy machine
                chosen[taken_index] = taken
            handed.append(chosen)
            return chosen

        with kube_cluster(bindir, ports=ports) as cluster:
            assert cluster.attempts == 2
            assert taken not in (cluster.etcd_port, cluster.apiserver_port)
            from kubernetes import client

            version = client.VersionApi(cluster.api_client()).get_code()
            assert version.git_version.startswith("v1.20")

def test_a_port_that_stays_taken_fails_with_a_clear_error():
    bindir, why = find_binaries()
    if bindir is None:
        pytest.skip(f"Kubernetes binaries unavailable: {why}")
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken = squatter.getsockname()[1]

        def ports(n: int) -> list[int]:
            return [taken, *free_ports(n - 1)]

        with pytest.raises(PortTaken, match="address already in use"), \
                kube_cluster(bindir, ports=ports, attempts=2):
            pass
