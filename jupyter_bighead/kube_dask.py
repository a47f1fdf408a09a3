"""Dask clusters as plain Kubernetes objects: one Service and one Pod for the scheduler,
one Pod per worker, no operator.

Two callers share this module, so there is one implementation:

* a job's cluster (``JobSpec.cluster`` on the kubernetes executor,
  :mod:`jupyter_bighead.jobs.k8s_cluster`), labelled with the job's id and owned by its Job;
* the ``kubernetes`` cluster setting (:mod:`jupyter_bighead.cluster`): :func:`open_client`
  creates a cluster for one heavy call, labelled ``bighead.io/dask-cluster=<id>``, and
  deletes it when the call ends, however it ends.

:func:`cluster_manifests` is pure (tests compare it with a snapshot); :func:`create` and
:func:`delete` talk to the API. ``kubernetes`` and ``distributed`` are imported only
when used.

A kernel learns what the server knows through its environment: ``$BIGHEAD_PROFILES``
(the compute profiles as JSON) and ``$BIGHEAD_K8S`` (JSON: ``namespace``,
``kubeconfig``, ``context``, ``image``, ``volumes``, ``volume_mounts`` as the
kubernetes executor has them). Without them the ``default`` profile (1 CPU, 2 GiB) and
the namespace of the pod (in a cluster) or of the kubeconfig's context are used.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from .config import BLOCK_PATHS_ENV, HOME_ENV, REGISTRY_ENV, default_home
from .errors import BigheadError, InvalidSpec, NotFound, Unavailable
from .identity import current_user
from .kube import (
    DEFAULT_IMAGE,
    MANAGED_BY,
    kube_errors,
    label_value,
    make_api_client,
    resource_requirements,
)
from .resources import parse_quantity

if TYPE_CHECKING:
    from distributed import Client

#: The label that marks Dask pods and services (``scheduler`` or ``worker``); a job's
#: own pod has none, so ``!bighead.io/dask-role`` selects it alone.
DASK_ROLE = "bighead.io/dask-role"
#: The label naming a per-call cluster (the ``kubernetes`` setting).
CLUSTER_LABEL = "bighead.io/dask-cluster"
USER_LABEL = "bighead.io/user"
DASK_PORT = 8786
DASK_DASHBOARD_PORT = 8787

PROFILES_ENV = "BIGHEAD_PROFILES"
"""The compute profiles as JSON (name -> {cpu, memory, gpu, image, ...}), set by the server."""
K8S_ENV = "BIGHEAD_K8S"
"""The kubernetes executor's namespace, kubeconfig, image and volumes as JSON."""
HOST_ENV = "BIGHEAD_DASK_K8S_HOST"
"""A host that reaches the scheduler, for a client outside the cluster (default: the
scheduler's Service name, which resolves only inside the cluster)."""
WORKERS_ENV = "BIGHEAD_DASK_WORKERS"
"""How many workers ``kubernetes`` gives a call when the setting does not say."""
TIMEOUT_ENV = "BIGHEAD_DASK_K8S_TIMEOUT"
"""Seconds for the pods to run and the workers to join (default :data:`START_TIMEOUT`)."""
DEFAULT_WORKERS = 2
MAX_WORKERS = 64
START_TIMEOUT = 300.0
#: A per-call scheduler ends itself after this long without any task, so a kernel that
#: died (SIGKILL) leaves ended pods, not running ones (its workers follow it).
IDLE_TIMEOUT = 3600
#: The environment of the calling process the per-call pods get too (and its home).
_PASSED_ENV = (REGISTRY_ENV, BLOCK_PATHS_ENV)
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,62}\Z")


class PodProfile(Protocol):
    """What the builder reads from a compute profile (``jobs.spec.ComputeProfile`` has it)."""

    @property
    def name(self) -> str: ...
    @property
    def cpu(self) -> str: ...
    @property
    def memory(self) -> str: ...
    @property
    def gpu(self) -> int: ...
    @property
    def image(self) -> str | None: ...
    @property
    def node_selector(self) -> Mapping[str, str]: ...
    @property
    def tolerations(self) -> Sequence[Mapping[str, Any]]: ...


@dataclass(frozen=True)
class Profile:
    """A compute profile as a kernel reads it from ``$BIGHEAD_PROFILES``."""

    name: str
    cpu: str = "1"
    memory: str = "2Gi"
    gpu: int = 0
    image: str | None = None
    node_selector: Mapping[str, str] = field(default_factory=dict)
    tolerations: tuple[Mapping[str, Any], ...] = ()

    @classmethod
    def from_dict(cls, name: str, data: Mapping[str, Any]) -> Profile:
        """The pod-related keys of a profile (job-only keys are ignored).

        Raises
        ------
        InvalidSpec
            If cpu, memory or gpu is not a valid amount.
        """
        if not isinstance(data, Mapping):
            raise InvalidSpec(f"profile {name!r} must be a JSON object")
        out = cls(name=name, cpu=str(data.get("cpu", "1")), memory=str(data.get("memory", "2Gi")),
                  gpu=data.get("gpu", 0) or 0, image=data.get("image") or None,
                  node_selector=dict(data.get("node_selector") or {}),
                  tolerations=tuple(data.get("tolerations") or ()))
        parse_quantity(out.cpu, f"profile {name!r} cpu")
        parse_quantity(out.memory, f"profile {name!r} memory")
        if isinstance(out.gpu, bool) or not isinstance(out.gpu, int) or out.gpu < 0:
            raise InvalidSpec(f"profile {name!r} gpu must be a whole number >= 0")
        return out


DEFAULT_PROFILE = Profile("default")


# -- names and the pure builder -----------------------------------------------------------
def names(cluster_id: str) -> dict[str, str]:
    """The names of a cluster's objects: the scheduler's service (which is also the host
    in its address) and pod, and the prefix of the workers' pods."""
    base = f"dask-{cluster_id}"
    return {"service": base, "scheduler": f"{base}-scheduler", "worker": f"{base}-worker"}


def address(cluster_id: str, host: str | None = None) -> str:
    """The scheduler's address: its Service (same namespace) or ``host``."""
    return f"tcp://{host or names(cluster_id)['service']}:{DASK_PORT}"


def _pod(name: str, *, role: str, image: str, labels: Mapping[str, str], profile: PodProfile,
         command: Sequence[str], env: Sequence[Mapping[str, Any]],
         owner: Mapping[str, Any] | None, ports: Sequence[Mapping[str, Any]] = (),
         volumes: Sequence[Mapping[str, Any]] = (),
         volume_mounts: Sequence[Mapping[str, Any]] = ()) -> dict[str, Any]:
    container: dict[str, Any] = {
        "name": role, "image": image, "command": list(command), "env": [dict(e) for e in env],
        "resources": resource_requirements({"cpu": profile.cpu, "memory": profile.memory,
                                            "gpu": profile.gpu}),
    }
    if ports:
        container["ports"] = [dict(p) for p in ports]
    if volume_mounts:
        container["volumeMounts"] = [dict(m) for m in volume_mounts]
    spec: dict[str, Any] = {"restartPolicy": "Never", "containers": [container]}
    if volumes:
        spec["volumes"] = [dict(v) for v in volumes]
    if profile.node_selector:
        spec["nodeSelector"] = dict(profile.node_selector)
    if profile.tolerations:
        spec["tolerations"] = [dict(t) for t in profile.tolerations]
    metadata: dict[str, Any] = {"name": name, "labels": {**labels, DASK_ROLE: role}}
    if owner:
        metadata["ownerReferences"] = [dict(owner)]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": spec}


def cluster_manifests(cluster_id: str, *, workers: int, threads: int, image: str, home: str,
                      profile: PodProfile, labels: Mapping[str, str],
                      selector: Mapping[str, str], owner: Mapping[str, Any] | None = None,
                      volumes: Sequence[Mapping[str, Any]] = (),
                      volume_mounts: Sequence[Mapping[str, Any]] = (),
                      env: Sequence[Mapping[str, Any]] = (),
                      idle_timeout: int | None = None) -> dict[str, Any]:
    """A Dask cluster: the scheduler's Service and Pod and ``workers`` worker Pods, all of
    ``profile``'s resources and ``image``, labelled ``labels`` plus :data:`DASK_ROLE`,
    owned by ``owner`` when given.

    ``selector`` holds the labels (a subset of ``labels``) that pick this cluster's
    objects; the Service selects the scheduler by them. Each worker may use the
    profile's memory (``--memory-limit``) and ``threads`` threads; the workers mount
    ``volumes`` (the same paths everywhere). ``env`` is added to every container's.
    """
    n = names(cluster_id)
    pod_env = [{"name": HOME_ENV, "value": home}, {"name": "BIGHEAD_IMAGE", "value": image},
               *[dict(e) for e in env]]
    where = address(cluster_id)
    scheduler_cmd = ["python", "-m", "distributed.cli.dask_scheduler", "--port", str(DASK_PORT),
                     "--dashboard-address", f":{DASK_DASHBOARD_PORT}"]
    if idle_timeout:
        scheduler_cmd += ["--idle-timeout", f"{int(idle_timeout)}s"]
    scheduler = _pod(
        n["scheduler"], role="scheduler", image=image, labels=labels, profile=profile,
        command=scheduler_cmd, env=pod_env, owner=owner,
        ports=[{"name": "comm", "containerPort": DASK_PORT},
               {"name": "dashboard", "containerPort": DASK_DASHBOARD_PORT}])
    memory = str(int(parse_quantity(profile.memory, f"profile {profile.name!r} memory")))
    pods = [_pod(
        f"{n['worker']}-{i}", role="worker", image=image, labels=labels, profile=profile,
        command=["python", "-m", "distributed.cli.dask_worker", where,
                 "--nthreads", str(int(threads or 1)), "--memory-limit", memory,
                 "--name", f"worker-{i}", "--death-timeout", "300"],
        env=pod_env, owner=owner, volumes=volumes, volume_mounts=volume_mounts)
        for i in range(int(workers))]
    service_meta: dict[str, Any] = {"name": n["service"],
                                    "labels": {**labels, DASK_ROLE: "scheduler"}}
    if owner:
        service_meta["ownerReferences"] = [dict(owner)]
    service = {"apiVersion": "v1", "kind": "Service", "metadata": service_meta,
               "spec": {"selector": {**selector, DASK_ROLE: "scheduler"},
                        "ports": [{"name": "comm", "port": DASK_PORT,
                                   "targetPort": DASK_PORT},
                                  {"name": "dashboard", "port": DASK_DASHBOARD_PORT,
                                   "targetPort": DASK_DASHBOARD_PORT}]}}
    return {"service": service, "scheduler": scheduler, "workers": pods}


# -- talking to the API -------------------------------------------------------------------
Call = Callable[..., Any]
"""Runs one API call (``call(fn, *args, **kwargs)``) with a timeout and typed errors."""


def caller(api_client: Any, request_timeout: float = 10.0) -> Call:
    """A :data:`Call` for ``api_client``: each call gets ``request_timeout`` and its
    failures become typed errors (:func:`..kube.kube_errors`)."""
    def call(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("_request_timeout", request_timeout)
        with kube_errors(api_client):
            return fn(*args, **kwargs)
    return call


def create(core: Any, namespace: str, objects: Mapping[str, Any], call: Call) -> None:
    """Create the Service, then the scheduler's and the workers' Pods of ``objects``."""
    call(core.create_namespaced_service, namespace, objects["service"])
    for pod in (objects["scheduler"], *objects["workers"]):
        call(core.create_namespaced_pod, namespace, pod)


def selector_text(selector: Mapping[str, str]) -> str:
    """A label selector for every Dask object carrying ``selector``'s labels."""
    return ",".join([*(f"{k}={v}" for k, v in selector.items()), DASK_ROLE])


def delete(core: Any, namespace: str, selector: Mapping[str, str], call: Call) -> None:
    """Delete every Dask pod and service carrying ``selector``'s labels (none is fine)."""
    text = selector_text(selector)
    for lister, deleter in ((core.list_namespaced_pod, core.delete_namespaced_pod),
                            (core.list_namespaced_service, core.delete_namespaced_service)):
        for item in call(lister, namespace, label_selector=text).items:
            try:
                # Unparsed: a deleted Service answers with a Status, which this client
                # would try to read as a Service.
                call(deleter, item.metadata.name, namespace, _preload_content=False)
            except NotFound:
                pass


def _pod_state(pod: Any) -> str:
    """A pod's phase and, when waiting or ended, why (for messages)."""
    status = pod.status
    phase = (status.phase if status else None) or "Pending"
    reasons = []
    for cs in (status.container_statuses or []) if status else []:
        state = cs.state
        for part in (state.waiting, state.terminated) if state else ():
            if part is not None and (part.reason or part.message):
                reasons.append(" ".join(filter(None, (part.reason, part.message))))
    for cond in (status.conditions or []) if status else []:
        if cond.status == "False" and cond.reason:
            reasons.append(f"{cond.reason}: {cond.message or ''}".strip(": "))
    return phase + (f" ({'; '.join(reasons)[:300]})" if reasons else "")


def wait_running(core: Any, namespace: str, pod: str, call: Call, timeout: float) -> None:
    """Wait until ``pod`` runs.

    Raises
    ------
    Unavailable
        If it ends first, or is not running within ``timeout`` seconds (the message says
        its phase and why, e.g. no node with room, an image that cannot be pulled).
    """
    deadline = time.monotonic() + timeout
    while True:
        state = call(core.read_namespaced_pod, pod, namespace)
        phase = state.status.phase if state.status else None
        if phase == "Running":
            return
        if phase in ("Failed", "Succeeded"):
            raise Unavailable(f"the Dask scheduler pod {pod} ended before the cluster was up: "
                              f"{_pod_state(state)}")
        if time.monotonic() > deadline:
            raise Unavailable(f"the Dask scheduler pod {pod} was not running within "
                              f"{timeout:g} s: {_pod_state(state)} (set ${TIMEOUT_ENV} to wait "
                              "longer)")
        time.sleep(0.5)


# -- the `kubernetes` setting: a cluster for one call ------------------------------------
def _json_env(env: Mapping[str, str], name: str) -> dict[str, Any]:
    text = env.get(name, "").strip()
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise InvalidSpec(f"${name} is not JSON: {exc}") from None
    if not isinstance(value, dict):
        raise InvalidSpec(f"${name} must be a JSON object")
    return value


def profile_for(name: str, env: Mapping[str, str]) -> Profile:
    """The profile ``name`` from ``$BIGHEAD_PROFILES`` (without it: ``default`` only).

    Raises
    ------
    InvalidSpec
        If there is no such profile (the message lists those there are).
    """
    known = _json_env(env, PROFILES_ENV)
    if not known:
        known = {"default": {}}
    if name not in known:
        raise InvalidSpec(f"unknown compute profile {name!r} in the 'kubernetes' cluster "
                          f"setting; profiles: {', '.join(sorted(known))}")
    return Profile.from_dict(name, known[name])


def namespace_for(settings: Mapping[str, Any]) -> str:
    """``$BIGHEAD_K8S``'s namespace, else the pod's own (in a cluster), else the
    kubeconfig context's, else ``default``."""
    if settings.get("namespace"):
        return str(settings["namespace"])
    with contextlib.suppress(OSError):
        with open("/var/run/secrets/kubernetes.io/serviceaccount/namespace") as fh:
            return fh.read().strip() or "default"
    try:
        from kubernetes import config

        path = settings.get("kubeconfig") or os.environ.get("KUBECONFIG") or None
        contexts, active = config.list_kube_config_contexts(config_file=path)
        if settings.get("context"):
            active = next((c for c in contexts if c["name"] == settings["context"]), active)
        return str((active or {}).get("context", {}).get("namespace") or "default")
    except Exception:  # no kubeconfig: make_api_client says so, with the reason
        return "default"


def workers_for(workers: int | None, env: Mapping[str, str]) -> int:
    """The setting's worker count, else ``$BIGHEAD_DASK_WORKERS``, else 2 (1..64).

    Raises
    ------
    InvalidSpec
        If the count is not a whole number from 1 to :data:`MAX_WORKERS`.
    """
    if workers is None:
        text = env.get(WORKERS_ENV, "").strip()
        if not text:
            return DEFAULT_WORKERS
        if not text.isdigit():
            raise InvalidSpec(f"${WORKERS_ENV} must be a whole number, not {text[:40]!r}")
        workers = int(text)
    if not 1 <= workers <= MAX_WORKERS:
        raise InvalidSpec(f"a 'kubernetes' cluster has 1 to {MAX_WORKERS} workers, not {workers}")
    return workers


def check_profile_name(name: str) -> str:
    """``name`` if it can be a profile's name (raises :class:`InvalidSpec` otherwise)."""
    if not _NAME.match(name):
        raise InvalidSpec(f"{name[:80]!r} is not a compute profile name (letters, digits, "
                          "'_', '.', '-')")
    return name


@contextlib.contextmanager
def open_client(profile: str | None = None, workers: int | None = None, *,
                env: Mapping[str, str] | None = None,
                connect_timeout: float = 30.0) -> Iterator[Client]:
    """A Dask client on a cluster of pods made for this call, deleted on exit.

    Creates the scheduler's Service and Pod and ``workers`` worker Pods of ``profile``
    (default ``default``) in the namespace :func:`namespace_for` finds, waits until the
    scheduler runs, connects (to ``$BIGHEAD_DASK_K8S_HOST`` when set, else the Service's
    name) and waits until every worker has joined. Every object is deleted when the
    block ends, by return, exception or KeyboardInterrupt.

    Raises
    ------
    InvalidSpec
        An unknown profile, a bad worker count, malformed ``$BIGHEAD_PROFILES``/``$BIGHEAD_K8S``.
    Unavailable
        No Kubernetes configuration or API; pods not running or workers not joined within
        ``$BIGHEAD_DASK_K8S_TIMEOUT`` s (default 300); the scheduler not answering within
        ``connect_timeout`` s (the message says how a client outside the cluster gets in).
    """
    env = os.environ if env is None else env
    spec = profile_for(profile or "default", env)
    n = workers_for(workers, env)
    settings = _json_env(env, K8S_ENV)
    try:
        start_timeout = float(env.get(TIMEOUT_ENV) or START_TIMEOUT)
    except ValueError:
        raise InvalidSpec(f"${TIMEOUT_ENV} must be a number of seconds") from None
    namespace = namespace_for(settings)
    api = make_api_client(settings.get("kubeconfig") or None, settings.get("context") or None)
    call = caller(api)
    from kubernetes import client as k8s

    core = k8s.CoreV1Api(api)
    cluster_id = f"call-{secrets.token_hex(4)}"
    selector = {CLUSTER_LABEL: cluster_id}
    labels = {MANAGED_BY: "jupyter-bighead", USER_LABEL: label_value(current_user()) or "unknown",
              **selector}
    image = spec.image or settings.get("image") or env.get("BIGHEAD_IMAGE") or DEFAULT_IMAGE
    threads = max(1, int(parse_quantity(spec.cpu, f"profile {spec.name!r} cpu")))
    objects = cluster_manifests(
        cluster_id, workers=n, threads=threads, image=image,
        home=env.get(HOME_ENV) or str(default_home()), profile=spec, labels=labels,
        selector=selector,
        volumes=settings.get("volumes") or (), volume_mounts=settings.get("volume_mounts") or (),
        env=[{"name": k, "value": env[k]} for k in _PASSED_ENV if env.get(k)],
        idle_timeout=IDLE_TIMEOUT)
    try:
        create(core, namespace, objects, call)
        wait_running(core, namespace, objects["scheduler"]["metadata"]["name"], call,
                     start_timeout)
        with _connect(cluster_id, namespace, env, connect_timeout) as dask_client:
            _wait_workers(dask_client, n, start_timeout, core, namespace, selector, call)
            yield dask_client
    except BaseException as exc:
        try:
            delete(core, namespace, selector, call)
        except BigheadError as err:
            exc.add_note(f"and its pods could not be deleted ({err.message}): "
                         f"kubectl delete pod,service -n {namespace} -l "
                         f"{CLUSTER_LABEL}={cluster_id}")
        raise
    try:
        delete(core, namespace, selector, call)
    except BigheadError as err:
        raise Unavailable(f"the call's Dask pods could not be deleted ({err.message}): "
                          f"kubectl delete pod,service -n {namespace} -l "
                          f"{CLUSTER_LABEL}={cluster_id}") from None


def connect(where: str, timeout: float) -> Client:
    """A :class:`distributed.Client` on the scheduler at ``where``, within ``timeout`` s.

    The attempt runs in a daemon thread with one overall deadline: a port that accepts
    TCP but is no Dask scheduler (an HTTP server, a silent listener) cannot hang the
    caller, and any failure, whatever Dask raises, is :class:`Unavailable`. A client
    that connects after the deadline is closed in that thread.

    Raises
    ------
    Unavailable
        ``"no Dask scheduler answered at <where> within <timeout> s (<why>)"``.
    """
    import threading

    lock = threading.Lock()
    box: dict[str, Any] = {}
    done = threading.Event()

    def attempt() -> None:
        from distributed import Client

        try:
            made = Client(where, timeout=timeout, set_as_default=False)
        except BaseException as exc:  # keep only words: the traceback holds the client
            box["why"] = f"{type(exc).__name__}: {str(exc)[:300]}"
            del exc
            done.set()
            return
        with lock:
            late = box.get("abandoned", False)
            if not late:
                box["client"] = made
        done.set()
        if late:
            with contextlib.suppress(Exception):
                made.close(timeout=2)

    threading.Thread(target=attempt, name="bighead-dask-connect", daemon=True).start()
    done.wait(timeout + 2.0)
    with lock:
        if "client" in box:
            return box["client"]
        box["abandoned"] = True
    why = box.get("why") or "no Dask handshake in time"
    raise Unavailable(f"no Dask scheduler answered at {where} within {timeout:g} s ({why})")


@contextlib.contextmanager
def _connect(cluster_id: str, namespace: str, env: Mapping[str, str],
             timeout: float) -> Iterator[Client]:
    host = env.get(HOST_ENV, "").strip() or None
    where = address(cluster_id, host)
    try:
        dask_client = connect(where, timeout)
    except Unavailable as err:
        hint = (f"${HOST_ENV}={host} was used: check that it forwards port {DASK_PORT} to "
                f"the scheduler pod" if host else
                f"the Service name {names(cluster_id)['service']!r} resolves only inside the "
                f"cluster: run this kernel in a pod of namespace {namespace!r}, or set "
                f"${HOST_ENV} to a host that reaches the scheduler pods' port {DASK_PORT} "
                "(jupyter-bighead does not port-forward for you), or use a standing "
                "cluster's scheduler address as the setting")
        raise Unavailable(f"{err.message}; {hint}. The call's pods are deleted.") from None
    with dask_client:
        yield dask_client


def _wait_workers(dask_client: Client, n: int, timeout: float, core: Any, namespace: str,
                  selector: Mapping[str, str], call: Call) -> None:
    try:
        dask_client.wait_for_workers(n, timeout=timeout)
    except (OSError, TimeoutError):
        pods = call(core.list_namespaced_pod, namespace,
                    label_selector=f"{selector_text(selector)}=worker").items
        states = ", ".join(f"{p.metadata.name}: {_pod_state(p)}" for p in pods)
        joined = len(dask_client.scheduler_info(n_workers=-1).get("workers", {}))
        raise Unavailable(f"{joined} of {n} Dask worker(s) joined within {timeout:g} s "
                          f"({states}); set ${TIMEOUT_ENV} to wait longer") from None
