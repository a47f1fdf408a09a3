"""The one Dask cluster setting: parsing, resolution order, sizing, and what
``open_client`` starts and tears down."""

from __future__ import annotations

import pytest

from jupyter_bighead import cluster
from jupyter_bighead.errors import InvalidSpec, Unavailable


@pytest.mark.parametrize(
    ("text", "kind", "address"),
    [
        ("", "none", None),
        ("none", "none", None),
        (" None ", "none", None),
        ("local", "local", None),
        ("LOCAL", "local", None),
        ("kubernetes", "kubernetes", None),
        ("tcp://scheduler:8786", "address", "tcp://scheduler:8786"),
        ("scheduler:8786", "address", "tcp://scheduler:8786"),
        ("tls://10.0.0.1:8786", "address", "tls://10.0.0.1:8786"),
        ("tcp://[::1]:8786", "address", "tcp://[::1]:8786"),
    ],
)
def test_setting_strings_are_read_into_one_kind(text: str, kind: str, address: str | None) -> None:
    setting = cluster.parse_setting(text)
    assert (setting.kind, setting.address) == (kind, address)
    assert setting.distributed is (kind != "none")


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("spark", "unknown cluster setting"),
        ("scheduler", "unknown cluster setting"),  # a bare host name is no address
        ("http://scheduler:8786", "unknown scheme 'http'"),
        ("tcp://scheduler:70000", "valid port"),
        ("tcp://sched uler:8786", "unknown cluster setting"),
    ],
)
def test_bad_setting_is_invalid_spec_that_lists_the_valid_forms(text: str, says: str) -> None:
    with pytest.raises(InvalidSpec, match=says) as info:
        cluster.parse_setting(text)
    assert "local" in info.value.message or "tcp://" in info.value.message


def test_explicit_argument_wins_over_the_environment_which_wins_over_the_default() -> None:
    env = {cluster.ENV: "tcp://from-env:8786"}
    assert cluster.resolve("local", env=env).kind == "local"
    from_env = cluster.resolve(None, env=env)
    assert (from_env.kind, from_env.address, from_env.source) == (
        "address", "tcp://from-env:8786", "env"
    )
    default = cluster.resolve(None, env={})
    assert (default.kind, default.source) == ("none", "default")
    assert cluster.resolve("none", env=env).kind == "none"  # "none" overrides the variable


def test_a_bad_environment_variable_names_the_variable() -> None:
    with pytest.raises(InvalidSpec, match=r"\$BIGHEAD_DASK: unknown cluster setting"):
        cluster.resolve(None, env={cluster.ENV: "yes please"})


def test_reads_the_process_environment_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(cluster.ENV, "local")
    assert cluster.resolve().kind == "local"
    monkeypatch.delenv(cluster.ENV)
    assert cluster.resolve().kind == "none"


def test_a_wrong_argument_type_is_invalid_spec() -> None:
    with pytest.raises(InvalidSpec, match="not int"):
        cluster.resolve(4)


def test_local_cluster_has_one_single_threaded_worker_per_core_and_a_fair_memory_share() -> None:
    opts = cluster.local_cluster_options(cores=4, memory=24 * 2**30)
    assert opts == {
        "n_workers": 4, "threads_per_worker": 1, "processes": True, "memory_limit": 6 * 2**30
    }
    detected = cluster.local_cluster_options()
    assert detected["n_workers"] >= 1 and detected["memory_limit"] > 0


def test_none_yields_no_client() -> None:
    with cluster.open_client("none") as client:
        assert client is None


@pytest.mark.parametrize(
    ("text", "profile", "workers", "normalised"),
    [
        ("kubernetes", None, None, "kubernetes"),
        ("k8s", None, None, "kubernetes"),
        ("kubernetes:dask", "dask", None, "kubernetes:dask"),
        ("Kubernetes:gpu-small:4", "gpu-small", 4, "kubernetes:gpu-small:4"),
        ("kubernetes::3", None, 3, "kubernetes::3"),
        ("kubernetes:dask:64", "dask", 64, "kubernetes:dask:64"),
    ],
)
def test_the_kubernetes_setting_names_a_profile_and_a_worker_count(
    text: str, profile: str | None, workers: int | None, normalised: str
) -> None:
    setting = cluster.parse_setting(text)
    assert (setting.kind, setting.profile, setting.workers) == ("kubernetes", profile, workers)
    assert str(setting) == normalised and cluster.parse_setting(normalised) == setting
    assert cluster.describe(setting) == {"kind": "kubernetes", "address": None,
                                         "source": "argument", "profile": profile or "default",
                                         "workers": workers}


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("kubernetes:dask:0", "worker count must be a whole number from 1 to 64"),
        ("kubernetes:dask:65", "worker count"),
        ("kubernetes:dask:two", "worker count"),
        ("kubernetes:a:1:2", "'kubernetes:PROFILE:WORKERS'"),
        ("kubernetes:no/such", "not a compute profile name"),
    ],
)
def test_bad_kubernetes_settings_say_what_is_wrong(text: str, says: str) -> None:
    with pytest.raises(InvalidSpec, match=says):
        cluster.parse_setting(text)


def test_kubernetes_checks_the_profile_and_count_before_any_api_call(monkeypatch) -> None:
    """Unknown profiles and bad counts are refused before Kubernetes is even configured
    (the pods themselves are tested against the kube-apiserver in tests/k8s)."""
    monkeypatch.setenv("KUBECONFIG", "/nonexistent/kubeconfig")
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    monkeypatch.setenv("BIGHEAD_PROFILES", '{"default": {}, "dask": {"memory": "3Gi"}}')
    with pytest.raises(InvalidSpec, match=r"unknown compute profile 'gpu'.*dask, default"):
        with cluster.open_client("kubernetes:gpu"):
            pass
    monkeypatch.setenv("BIGHEAD_DASK_WORKERS", "many")
    with pytest.raises(InvalidSpec, match="BIGHEAD_DASK_WORKERS must be a whole number"):
        with cluster.open_client("kubernetes:dask"):
            pass
    monkeypatch.setenv("BIGHEAD_PROFILES", "{not json")
    with pytest.raises(InvalidSpec, match=r"\$BIGHEAD_PROFILES is not JSON"):
        with cluster.open_client("kubernetes"):
            pass
    monkeypatch.delenv("BIGHEAD_PROFILES")
    monkeypatch.delenv("BIGHEAD_DASK_WORKERS")
    with pytest.raises(Unavailable, match="no usable Kubernetes configuration"):
        with cluster.open_client("kubernetes"):  # the built-in default profile is known
            pass


def test_an_unreachable_scheduler_is_unavailable_and_says_what_to_do() -> None:
    with pytest.raises(Unavailable, match=r"no Dask scheduler answered at tcp://127\.0\.0\.1:9"):
        with cluster.open_client("tcp://127.0.0.1:9", timeout=1):
            pass


def test_open_client_tears_down_only_what_it_created(monkeypatch: pytest.MonkeyPatch) -> None:
    from distributed import Client, LocalCluster

    # A small in-process cluster keeps this fast; the sizing is tested above.
    monkeypatch.setattr(
        cluster, "local_cluster_options",
        lambda: {"n_workers": 1, "threads_per_worker": 1, "processes": False,
                 "dashboard_address": None},
    )
    with cluster.open_client("local") as client:
        assert client is not None
        assert client.submit(sum, [1, 2]).result() == 3
        made = client.cluster
    assert client.status == "closed" and made.status.name == "closed"

    with LocalCluster(n_workers=1, processes=False, dashboard_address=None) as mine:
        with cluster.open_client(mine) as client:  # a cluster object: a client for it
            assert client is not None and client.scheduler_info()["workers"]
        assert client.status == "closed" and mine.status.name == "running"
        with Client(mine, set_as_default=False) as own:
            with cluster.open_client(own) as given:
                assert given is own
            assert own.status == "running"  # the caller's client stays open
            with cluster.open_client(mine.scheduler_address) as by_address:
                assert by_address is not None and by_address.submit(len, "ab").result() == 2
            assert by_address.status == "closed" and own.status == "running"
        assert cluster.describe(mine)["address"] == mine.scheduler_address


def test_the_namespace_is_the_servers_else_the_kubeconfig_contexts(tmp_path, monkeypatch) -> None:
    from jupyter_bighead import kube_dask

    config = tmp_path / "kubeconfig"
    config.write_text(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n"
        "    server: https://127.0.0.1:1\nusers:\n- name: u\n  user: {}\ncontexts:\n"
        "- name: a\n  context: {cluster: c, user: u, namespace: team-a}\n"
        "- name: b\n  context: {cluster: c, user: u}\ncurrent-context: a\n")
    monkeypatch.setenv("KUBECONFIG", str(config))
    assert kube_dask.namespace_for({"namespace": "ml"}) == "ml"
    assert kube_dask.namespace_for({}) == "team-a"
    assert kube_dask.namespace_for({"context": "b"}) == "default"
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "missing"))
    assert kube_dask.namespace_for({}) == "default"


def test_a_profile_read_by_a_kernel_keeps_what_pods_need() -> None:
    from jupyter_bighead import kube_dask

    env = {"BIGHEAD_PROFILES": '{"gpu": {"cpu": "8", "memory": "32Gi", "gpu": 1, '
                               '"image": "org/train:cuda", "max_concurrent_per_user": 2}}'}
    assert kube_dask.profile_for("gpu", env) == kube_dask.Profile(
        "gpu", cpu="8", memory="32Gi", gpu=1, image="org/train:cuda")
    assert kube_dask.profile_for("default", {}) == kube_dask.DEFAULT_PROFILE
    with pytest.raises(InvalidSpec, match="memory"):
        kube_dask.profile_for("bad", {"BIGHEAD_PROFILES": '{"bad": {"memory": "lots"}}'})
    assert kube_dask.workers_for(None, {}) == 2
    assert kube_dask.workers_for(None, {"BIGHEAD_DASK_WORKERS": "5"}) == 5
    assert kube_dask.workers_for(7, {"BIGHEAD_DASK_WORKERS": "5"}) == 7


@pytest.mark.parametrize("server", ["http", "silent"])
def test_a_port_that_is_no_scheduler_is_unavailable_within_the_timeout(server: str) -> None:
    """An HTTP server (Dask reads its answer as a frame length of exabytes) or a listener
    that never answers: one overall deadline, one typed error naming the address."""
    import http.server
    import socket
    import threading
    import time

    if server == "http":
        httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                                http.server.SimpleHTTPRequestHandler)
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        port = httpd.server_address[1]
        stop = httpd.shutdown
    else:
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)  # the kernel completes handshakes; nobody ever reads or writes
        port = listener.getsockname()[1]
        stop = listener.close
    try:
        started = time.monotonic()
        with pytest.raises(Unavailable, match=rf"no Dask scheduler answered at "
                                              rf"tcp://127\.0\.0\.1:{port} within 2 s"):
            with cluster.open_client(f"tcp://127.0.0.1:{port}", timeout=2):
                pass
        assert time.monotonic() - started < 10
    finally:
        stop()
