"""The ``kubernetes`` cluster setting against a real kube-apiserver: a heavy call gets a
Dask scheduler and workers as pods with the profile's image and resources, and every
pod and service is deleted when the call ends, also when it fails, is interrupted, or
cannot reach its scheduler.

Nothing is faked but the node: the TEST-ONLY node simulator (tests/k8s/harness.py) runs
each pod's command as a local process. With its ``service_dns`` on, the workers' command
line reaches the scheduler's Service at 127.0.0.1 (all simulated pods share this
machine's network, as cluster DNS plus kube-proxy would route them), and the client,
outside any cluster, is pointed there with ``$BIGHEAD_DASK_K8S_HOST``, so the scheduler
and workers are real Dask processes and the computations below really run on them. The
simulator ignores images and resource limits: those are checked on the API objects.
"""

from __future__ import annotations

import json
import socket
import time

import pandas as pd
import pytest

from jupyter_bighead import cluster
from jupyter_bighead.errors import InvalidSpec, Unavailable

k8s = pytest.mark.k8s
PROFILES = {"default": {"cpu": "1", "memory": "2Gi"},
            "dask": {"cpu": "1", "memory": "1536Mi", "image": "bighead/dask:3",
                     "node_selector": {"pool": "dask"},
                     "tolerations": [{"key": "dask", "operator": "Exists"}],
                     "max_concurrent_per_user": 2, "description": "job-only keys are ignored"}}
SELECTOR = "bighead.io/dask-cluster"


@pytest.fixture
def k8s_env(kube, monkeypatch):
    """What the server exports to kernels, pointing at the test cluster's namespace."""
    monkeypatch.setenv("BIGHEAD_PROFILES", json.dumps(PROFILES))
    monkeypatch.setenv("BIGHEAD_K8S", json.dumps({
        "namespace": kube.namespace,
        "volumes": [{"name": "shared", "persistentVolumeClaim": {"claimName": "home"}}],
        "volume_mounts": [{"name": "shared", "mountPath": "/shared"}]}))
    monkeypatch.setenv("BIGHEAD_DASK_K8S_TIMEOUT", "120")
    monkeypatch.delenv("BIGHEAD_DASK_WORKERS", raising=False)
    monkeypatch.delenv("BIGHEAD_DASK_K8S_HOST", raising=False)
    return kube


def skip_unless_port_is_free() -> None:
    """Simulated pods share this machine's network: the scheduler pod needs port 8786."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as Dask's listener
        try:
            probe.bind(("0.0.0.0", 8786))
        except OSError:
            pytest.skip("port 8786 is taken on this machine: the simulated scheduler pod "
                        "listens there")


@pytest.fixture
def reachable(k8s_env, monkeypatch):
    """The simulated node routes Service names to 127.0.0.1, and so does the client."""
    skip_unless_port_is_free()
    monkeypatch.setenv("BIGHEAD_DASK_K8S_HOST", "127.0.0.1")
    k8s_env.simulator.service_dns = True
    try:
        yield k8s_env
    finally:
        k8s_env.simulator.service_dns = False


def objects(kube):
    core = kube.core()
    pods = core.list_namespaced_pod(kube.namespace, label_selector=SELECTOR).items
    services = core.list_namespaced_service(kube.namespace, label_selector=SELECTOR).items
    return pods, services


def wait_gone(kube, timeout=60):
    deadline = time.monotonic() + timeout
    while True:
        pods, services = objects(kube)
        if not pods and not services:
            return
        assert time.monotonic() < deadline, [o.metadata.name for o in pods + services]
        time.sleep(0.3)


@k8s
def test_a_call_gets_scheduler_and_workers_of_the_profile_and_they_are_deleted_after_it(
        reachable, monkeypatch, tmp_path):
    kube = reachable
    monkeypatch.setenv("BIGHEAD_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("BIGHEAD_REGISTRY", f"sqlite:///{tmp_path}/registry.db")
    with cluster.open_client("kubernetes:dask:2") as client:
        assert client is not None
        pods, services = objects(kube)
        [cluster_id] = {p.metadata.labels[SELECTOR] for p in pods}
        roles = sorted(p.metadata.labels["bighead.io/dask-role"] for p in pods)
        assert roles == ["scheduler", "worker", "worker"]
        for pod in pods:
            container = pod.spec.containers[0]
            assert container.image == "bighead/dask:3"
            assert container.resources.requests == {"cpu": "1", "memory": "1536Mi"}
            assert container.resources.limits == container.resources.requests
            assert pod.spec.node_selector == {"pool": "dask"}
            assert "dask" in [t.key for t in pod.spec.tolerations]
            assert pod.metadata.labels["app.kubernetes.io/managed-by"] == "jupyter-bighead"
            env = {e.name: e.value for e in container.env}
            assert env["BIGHEAD_HOME"] == str(tmp_path / "home")  # the caller's home and
            assert env["BIGHEAD_REGISTRY"] == f"sqlite:///{tmp_path}/registry.db"  # registry
            if pod.metadata.labels["bighead.io/dask-role"] == "worker":
                assert container.command[3] == f"tcp://dask-{cluster_id}:8786"
                assert container.command[4:8] == ["--nthreads", "1", "--memory-limit",
                                                  str(1536 * 2**20)]
                assert [m.mount_path for m in container.volume_mounts] == ["/shared"]
        [service] = services
        assert service.metadata.name == f"dask-{cluster_id}"
        assert service.spec.selector == {SELECTOR: cluster_id,
                                         "bighead.io/dask-role": "scheduler"}

        # Real work on the real processes: two workers, each with the profile's memory.
        workers = client.scheduler_info(n_workers=-1)["workers"].values()
        assert sorted(w["memory_limit"] for w in workers) == [1536 * 2**20] * 2
        futures = client.map(lambda x: x * x, range(20))
        assert sum(client.gather(futures)) == sum(x * x for x in range(20))
        assert len({f.key for f in futures}) == 20
    wait_gone(kube)


@k8s
def test_materialize_on_the_kubernetes_setting_equals_one_process(reachable, tmp_path):
    """A heavy call that names the setting: the engine runs on the pods' workers (which
    share this machine's files, as pods share a volume) and gives one process's result."""
    from jupyter_bighead.features import EventSource, Feature, FeatureRepo

    hour = 3_600_000
    events = pd.DataFrame({"user_id": [1, 1, 2, 3, 2, 1], "amount": [1.0, 2.5, 4.0, -1.0, 8.0, 3.0],
                           "ts": [0, 2 * hour, 3 * hour, 4 * hour, 30 * hour, 26 * hour]})
    path = tmp_path / "events.parquet"
    events.to_parquet(path)
    src = EventSource("b", path=str(path), entity="user_id", timestamp="ts")
    repo = FeatureRepo(tmp_path / "repo")
    repo.apply([Feature("s", source=src, column="amount", agg="sum", window="1d"),
                Feature("n", source=src, agg="count")])
    spine = pd.DataFrame({"user_id": [1, 2, 3, 1, 9], "ts": [hour * 3, hour * 31, hour * 5,
                                                             hour * 40, hour]})
    want = repo.materialize(spine, ["s", "n"], cache=False)
    seen: list[str] = []
    got = repo.materialize(spine, ["s", "n"], cache=False, cluster="kubernetes::2",
                           partitions=3, progress=lambda d, t, m: seen.append(m))
    assert any("partitions" in m for m in seen)  # it went through the cluster
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    assert got["n"].tolist() == [2, 2, 1, 3, 0]
    wait_gone(reachable)


@k8s
@pytest.mark.parametrize("failure", [RuntimeError("the call failed"), KeyboardInterrupt()])
def test_every_pod_is_deleted_when_the_call_fails_or_is_interrupted(reachable, failure):
    kube = reachable
    with pytest.raises(type(failure)):
        with cluster.open_client("kubernetes::1") as client:
            assert client is not None and client.submit(sum, [1, 2]).result() == 3
            pods, services = objects(kube)
            assert len(pods) == 2 and len(services) == 1
            raise failure
    wait_gone(kube)


@k8s
def test_a_scheduler_that_does_not_answer_is_unavailable_says_why_and_nothing_is_left(
        k8s_env):
    kube = k8s_env
    skip_unless_port_is_free()
    started = time.monotonic()
    with pytest.raises(Unavailable) as caught:
        with cluster.open_client("kubernetes::1", timeout=2):
            raise AssertionError("no client without a scheduler")
    message = caught.value.message
    assert "no Dask scheduler answered at tcp://dask-call-" in message and "within 2 s" in message
    assert "resolves only inside the cluster" in message and "BIGHEAD_DASK_K8S_HOST" in message
    assert "pods are deleted" in message
    assert time.monotonic() - started < 60
    wait_gone(kube)


@k8s
def test_an_unknown_profile_is_refused_before_anything_is_created(k8s_env):
    with pytest.raises(InvalidSpec, match=r"unknown compute profile 'gpu'.*dask, default"):
        with cluster.open_client("kubernetes:gpu"):
            pass
    assert objects(k8s_env) == ([], [])

