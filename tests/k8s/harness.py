"""A real Kubernetes control plane for tests, plus a TEST-ONLY node simulator.

``kube_cluster()`` starts, from temporary folders on free localhost ports:

* etcd (``/usr/bin/etcd``, Debian's etcd-server) without fsync;
* kube-apiserver v1.20 (built by ``scripts/ensure-kube``): HTTPS on 127.0.0.1 with its
  self-signed certificate, a static token, ``AlwaysAllow`` authorization, and the
  ServiceAccount admission plugin off (no token controller is needed then);
* kube-controller-manager with only the job, cronjob, namespace and garbage-collector
  controllers.

It writes a kubeconfig and yields a :class:`KubeCluster`. Everything is killed and
deleted on exit. There is no kubelet and no scheduler: :class:`NodeSimulator` stands in
for both, see its docstring.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
NODE = "bighead-simulated-node"
CONTROLLERS = "job,cronjob,namespace,garbagecollector"


def find_binaries() -> tuple[Path | None, str]:
    """The folder with kube-apiserver and kube-controller-manager, or None and why not.

    Runs ``scripts/ensure-kube``, which returns at once when the binaries are cached
    and builds them otherwise (as root, about 15 minutes).
    """
    if shutil.which("etcd") is None:
        return None, "etcd is not installed (apt-get install etcd-server)"
    try:
        done = subprocess.run([str(ROOT / "scripts" / "ensure-kube")], capture_output=True,
                              text=True, timeout=3600)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, f"scripts/ensure-kube failed: {exc}"
    if done.returncode != 0:
        return None, f"scripts/ensure-kube could not provide the binaries: {done.stderr[-800:]}"
    return Path(done.stdout.strip().splitlines()[-1]), ""


class PortTaken(RuntimeError):
    """A component could not listen on its port: another process took it first."""


#: Attempts at starting the control plane, each on freshly chosen ports.
START_ATTEMPTS = 5


def _ephemeral_range() -> tuple[int, int]:
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(low), int(high)
    except (OSError, ValueError):
        return 32768, 60999


def free_ports(n: int, rng: random.Random | None = None) -> list[int]:
    """``n`` distinct ports free on 127.0.0.1 now.

    The components bind them later, so another process may take one in between; that
    is detected (:class:`PortTaken`) and the start retried. Choosing ports below the
    kernel's ephemeral range makes it rare: outgoing connections and every ``bind(0)``
    draw from that range, only explicit binds land below it.
    """
    rng = rng or random.Random()
    low, _high = _ephemeral_range()
    ports: list[int] = []
    for _ in range(1000):
        if len(ports) == n:
            return ports
        port = rng.randrange(10000, low) if low > 11000 else rng.randrange(1024, 65536)
        if port in ports:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        ports.append(port)
    raise RuntimeError(f"found only {len(ports)} of {n} free ports")


def _listens_on(proc: subprocess.Popen[bytes], port: int) -> bool:
    """Whether ``proc`` itself listens on ``port`` (not some other process that took it)."""
    import psutil

    try:
        conns = psutil.Process(proc.pid).net_connections(kind="tcp")
    except psutil.Error:
        return False
    return any(c.status == psutil.CONN_LISTEN and c.laddr and c.laddr.port == port
               for c in conns)


@dataclass
class KubeCluster:
    """A running control plane: where it listens and how to reach it."""

    folder: Path
    server: str
    token: str
    kubeconfig: Path
    ca_file: Path
    etcd_port: int
    apiserver_port: int
    start_seconds: float = 0.0
    attempts: int = 1  # starts tried (ports taken by others force a retry)

    def api_client(self) -> Any:
        from kubernetes import client, config

        cfg = client.Configuration()
        config.load_kube_config(config_file=str(self.kubeconfig), client_configuration=cfg)
        return client.ApiClient(cfg)


def _wait_for(url: str, token: str | None, proc: subprocess.Popen[bytes], log: Path,
              timeout: float, ports: tuple[int, ...] = ()) -> None:
    """Wait until ``url`` answers 200 and ``proc`` listens on each of ``ports``.

    Raises PortTaken when ``proc`` exits because a port was in use, RuntimeError when it
    exits otherwise or is not ready in time.
    """
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            text = _tail(log)
            kind = PortTaken if "address already in use" in text else RuntimeError
            raise kind(f"{url} exited with {proc.returncode}:\n{text}")
        try:
            with urllib.request.urlopen(urllib.request.Request(url, headers=headers),
                                        timeout=2, context=ctx) as resp:
                # The answer must come from our process, not one that took the port.
                if resp.status == 200 and all(_listens_on(proc, p) for p in ports):
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} was not ready after {timeout} s:\n{_tail(log)}")


def _tail(log: Path, n: int = 3000) -> str:
    try:
        return log.read_text("utf-8", errors="replace")[-n:]
    except OSError:
        return ""


@contextmanager
def kube_cluster(bindir: Path, ports: Callable[[int], list[int]] = free_ports,
                 attempts: int = START_ATTEMPTS) -> Iterator[KubeCluster]:
    """Start etcd, kube-apiserver and kube-controller-manager; stop and delete on exit.

    Ports are chosen free, but bound only when the components start, so another process
    can take one in between: then the start is retried from scratch on new ports, up
    to ``attempts`` times. ``ports(n)`` returns ``n`` candidate ports (tests inject it).

    Raises
    ------
    RuntimeError
        If a component does not come up (the message holds its log), PortTaken if the
        ports were taken on every attempt.
    """
    started = time.monotonic()
    for attempt in range(1, attempts + 1):
        tmp = Path(tempfile.mkdtemp(prefix="bighead-kube-"))
        procs: list[subprocess.Popen[bytes]] = []
        try:
            cluster = _start(bindir, tmp, procs, ports(3))
        except PortTaken:
            _cleanup(procs, tmp)
            if attempt == attempts:
                raise
            continue
        except BaseException:
            _cleanup(procs, tmp)
            raise
        cluster.start_seconds = time.monotonic() - started
        cluster.attempts = attempt
        try:
            yield cluster
        finally:
            _cleanup(procs, tmp)
        return


def _cleanup(procs: list[subprocess.Popen[bytes]], tmp: Path) -> None:
    for proc in reversed(procs):
        _stop(proc)
    shutil.rmtree(tmp, ignore_errors=True)


def _start(bindir: Path, tmp: Path, procs: list[subprocess.Popen[bytes]],
           ports: list[int]) -> KubeCluster:
    """One attempt: the control plane on ``ports`` (etcd client, etcd peer, apiserver)."""

    def spawn(name: str, cmd: list[str]) -> tuple[subprocess.Popen[bytes], Path]:
        log = tmp / f"{name}.log"
        with log.open("wb") as fh:
            proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, start_new_session=True)
        procs.append(proc)
        return proc, log

    etcd_port, peer_port, api_port = ports
    token = "bighead-test-token"
    (tmp / "tokens.csv").write_text(f'{token},admin,admin,"system:masters"\n')
    subprocess.run(["openssl", "genrsa", "-out", str(tmp / "sa.key"), "2048"], check=True,
                   capture_output=True, timeout=60)
    etcd, etcd_log = spawn("etcd", [
        shutil.which("etcd") or "etcd", "--data-dir", str(tmp / "etcd"),
        "--listen-client-urls", f"http://127.0.0.1:{etcd_port}",
        "--advertise-client-urls", f"http://127.0.0.1:{etcd_port}",
        "--listen-peer-urls", f"http://127.0.0.1:{peer_port}",
        "--initial-advertise-peer-urls", f"http://127.0.0.1:{peer_port}",
        "--initial-cluster", f"default=http://127.0.0.1:{peer_port}",
        "--unsafe-no-fsync", "--log-level", "error"])
    _wait_for(f"http://127.0.0.1:{etcd_port}/health", None, etcd, etcd_log, 30,
              ports=(etcd_port, peer_port))
    api, api_log = spawn("kube-apiserver", [
        str(bindir / "kube-apiserver"),
        f"--etcd-servers=http://127.0.0.1:{etcd_port}",
        f"--secure-port={api_port}", "--bind-address=127.0.0.1",
        "--advertise-address=127.0.0.1", "--insecure-port=0",
        f"--cert-dir={tmp / 'certs'}",
        f"--token-auth-file={tmp / 'tokens.csv'}", "--authorization-mode=AlwaysAllow",
        # 1.20 requires a service-account issuer and signing key even when unused.
        "--service-account-issuer=https://kubernetes.default.svc",
        f"--service-account-key-file={tmp / 'sa.key'}",
        f"--service-account-signing-key-file={tmp / 'sa.key'}",
        "--disable-admission-plugins=ServiceAccount",
        "--service-cluster-ip-range=10.0.0.0/24",
        "--enable-priority-and-fairness=false", "--v=0"])
    server = f"https://127.0.0.1:{api_port}"
    _wait_for(f"{server}/readyz", token, api, api_log, 60, ports=(api_port,))
    ca_file = tmp / "certs" / "apiserver.crt"  # the self-signed chain, CA included
    kubeconfig = tmp / "kubeconfig"
    kubeconfig.write_text(
        "apiVersion: v1\nkind: Config\n"
        f"clusters:\n- name: bighead-test\n  cluster:\n    server: {server}\n"
        f"    certificate-authority: {ca_file}\n"
        f"users:\n- name: admin\n  user:\n    token: {token}\n"
        "contexts:\n- name: bighead-test\n  context:\n    cluster: bighead-test\n"
        "    user: admin\n    namespace: default\n"
        "current-context: bighead-test\n")
    spawn("kube-controller-manager", [
        str(bindir / "kube-controller-manager"), f"--kubeconfig={kubeconfig}",
        f"--controllers={CONTROLLERS}", "--leader-elect=false", "--port=0",
        "--secure-port=0", "--use-service-account-credentials=false",
        "--concurrent-gc-syncs=5", "--v=0"])
    return KubeCluster(folder=tmp, server=server, token=token, kubeconfig=kubeconfig,
                       ca_file=ca_file, etcd_port=etcd_port, apiserver_port=api_port)


def _stop(proc: subprocess.Popen[Any], grace: float = 5.0) -> None:
    """Terminate ``proc`` and every process it started (a worker's kernel has its own
    session, so killing the process group is not enough)."""
    import psutil

    if proc.poll() is not None:
        return
    try:
        procs = [*psutil.Process(proc.pid).children(recursive=True), psutil.Process(proc.pid)]
    except psutil.Error:
        procs = []
    for p in procs:
        try:
            p.terminate()
        except psutil.Error:
            pass
    _, alive = psutil.wait_procs(procs, timeout=grace)
    for p in alive:
        try:
            p.kill()
        except psutil.Error:
            pass
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


_VAR = re.compile(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)")


class NodeSimulator:
    """TEST-ONLY stand-in for the scheduler and the kubelet of one node. Not production code.

    The control plane above has no nodes. This thread watches Pods in every namespace;
    each new pod without a ``nodeName`` is bound to a fictitious node, and its first
    container's command is run as a local subprocess: ``python`` becomes this venv's
    interpreter, the environment is ours plus the pod's ``env`` (literal values and the
    downward API's ``metadata.*`` fields), and every ConfigMap volume is written to a
    temporary folder whose path replaces the volume's ``mountPath`` in the command line.
    Other volumes are ignored: the subprocess shares this machine's filesystem, which
    is what a shared volume gives real pods. The pod's status is patched ``Running``,
    then ``Succeeded`` or ``Failed`` with the container's exit code, so the Job
    controller sees what a kubelet would report. A pod being deleted has its process
    group killed (as a kubelet would on graceful deletion) and is then removed with
    grace period 0.

    With ``service_dns`` on, a Service's name in a command line (``tcp://<service>:``)
    becomes ``127.0.0.1``: every simulated pod shares this machine's network, so that
    is where a Service's pods listen (cluster DNS and kube-proxy, simulated). It is off
    by default, and two pods listening on one port at once would collide.
    """

    def __init__(self, cluster: KubeCluster) -> None:
        from kubernetes import client

        self.api = client.CoreV1Api(cluster.api_client())
        self.folder = Path(tempfile.mkdtemp(prefix="bighead-node-"))
        self.procs: dict[str, subprocess.Popen[bytes]] = {}  # pod uid -> process
        self.seen: set[str] = set()
        self.deleting: set[str] = set()
        self.lock = threading.Lock()
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="node-simulator", daemon=True)
        self.service_dns = False

    def start(self) -> NodeSimulator:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.stopped.set()
        with self.lock:
            procs = list(self.procs.values())
        for proc in procs:
            _stop(proc, grace=2)
        self.thread.join(timeout=10)
        shutil.rmtree(self.folder, ignore_errors=True)

    # -- the watch -------------------------------------------------------------------
    def _loop(self) -> None:
        from kubernetes import watch

        while not self.stopped.is_set():
            stream = watch.Watch()
            try:
                for event in stream.stream(self.api.list_pod_for_all_namespaces,
                                           timeout_seconds=2, _request_timeout=10):
                    self._on_event(event["type"], event["object"])
                    if self.stopped.is_set():
                        stream.stop()
            except Exception:
                time.sleep(0.5)

    def _on_event(self, kind: str, pod: Any) -> None:
        uid = pod.metadata.uid
        if kind == "DELETED":
            self._kill(uid)
            return
        if pod.metadata.deletion_timestamp is not None:
            if uid not in self.deleting:
                self.deleting.add(uid)
                threading.Thread(target=self._terminate, args=(pod,), daemon=True).start()
            return
        if pod.spec.node_name is None and uid not in self.seen:
            self.seen.add(uid)
            threading.Thread(target=self._run, args=(pod,), daemon=True).start()

    # -- one pod ---------------------------------------------------------------------
    def _run(self, pod: Any) -> None:
        name, ns, uid = pod.metadata.name, pod.metadata.namespace, pod.metadata.uid
        container = pod.spec.containers[0]
        try:
            self.api.create_namespaced_pod_binding(
                name, ns, {"apiVersion": "v1", "kind": "Binding", "metadata": {"name": name},
                           "target": {"apiVersion": "v1", "kind": "Node", "name": NODE}},
                _preload_content=False)
            root = self.folder / uid
            root.mkdir(parents=True, exist_ok=True)  # a pod without ConfigMaps runs too
            cmd = [*(container.command or []), *(container.args or [])]
            for vol in pod.spec.volumes or []:
                if vol.config_map is None:
                    continue
                target = root / vol.name
                self._write_configmap(ns, vol.config_map.name, target)
                for mount in container.volume_mounts or []:
                    if mount.name == vol.name:
                        cmd = [c.replace(mount.mount_path, str(target)) for c in cmd]
            env = dict(os.environ)
            for var in container.env or []:
                env[var.name] = self._env_value(var, pod)
            cmd = [_VAR.sub(lambda m: env.get(m.group(1), m.group(0)), c) for c in cmd]
            if self.service_dns:
                for svc in self.api.list_namespaced_service(ns).items:
                    cmd = [c.replace(f"//{svc.metadata.name}:", "//127.0.0.1:") for c in cmd]
            if cmd and cmd[0] == "python":
                cmd[0] = sys.executable
            with self.lock:
                if self.stopped.is_set() or uid in self.deleting:
                    return
                with (root / "container.log").open("wb") as log:
                    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, env=env,
                                            start_new_session=True)
                self.procs[uid] = proc
            self._patch(pod, "Running", {"running": {"startedAt": _now()}})
            code = proc.wait()
            with self.lock:
                self.procs.pop(uid, None)
                killed = uid in self.deleting
            if not killed:
                self._patch(pod, "Succeeded" if code == 0 else "Failed", {"terminated": {
                    "exitCode": code, "reason": "Completed" if code == 0 else "Error",
                    "startedAt": _now(), "finishedAt": _now()}})
        except Exception as exc:  # report it the way a kubelet would: the pod failed
            (self.folder / f"{uid}.error").write_text(repr(exc))
            self._patch(pod, "Failed", {"terminated": {"exitCode": 128,
                                                       "reason": "SimulatorError",
                                                       "message": repr(exc)[:500]}})

    def _write_configmap(self, ns: str, name: str, target: Path) -> None:
        from kubernetes.client.exceptions import ApiException

        deadline = time.monotonic() + 10
        while True:  # a kubelet retries the mount until the ConfigMap exists
            try:
                data = self.api.read_namespaced_config_map(name, ns).data or {}
                break
            except ApiException as exc:
                if exc.status != 404 or time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        target.mkdir(parents=True, exist_ok=True)
        for key, value in data.items():
            (target / key).write_text(value)

    @staticmethod
    def _env_value(var: Any, pod: Any) -> str:
        if var.value_from is None:
            return var.value or ""
        path = var.value_from.field_ref.field_path if var.value_from.field_ref else ""
        if path == "metadata.name":
            return str(pod.metadata.name)
        if path == "metadata.namespace":
            return str(pod.metadata.namespace)
        match = re.match(r"metadata\.labels\['(.+)'\]", path)
        if match:
            return str((pod.metadata.labels or {}).get(match.group(1), ""))
        return ""

    def _patch(self, pod: Any, phase: str, state: dict[str, Any]) -> None:
        container = pod.spec.containers[0]
        status: dict[str, Any] = {"phase": phase, "containerStatuses": [{
            "name": container.name, "image": container.image, "imageID": "",
            "ready": phase == "Running", "restartCount": 0, "state": state}]}
        if phase == "Running":
            status["startTime"] = _now()
            status["hostIP"] = status["podIP"] = "127.0.0.1"
        try:
            self.api.patch_namespaced_pod_status(pod.metadata.name, pod.metadata.namespace,
                                                 {"status": status})
        except Exception:
            pass  # the pod may be gone already

    def _kill(self, uid: str) -> None:
        with self.lock:
            self.deleting.add(uid)
            proc = self.procs.pop(uid, None)
        if proc is not None:
            _stop(proc, grace=2)

    def _terminate(self, pod: Any) -> None:
        self._kill(pod.metadata.uid)
        try:
            self.api.delete_namespaced_pod(pod.metadata.name, pod.metadata.namespace,
                                           grace_period_seconds=0)
        except Exception:
            pass

    def running(self) -> int:
        with self.lock:
            return sum(1 for p in self.procs.values() if p.poll() is None)
