"""The ``kubernetes`` executor: each run is a ``batch/v1`` Job, each schedule a CronJob.

A run is three objects in the executor's namespace, all labelled
``bighead.io/job-id=<id>``:

* a ConfigMap ``<id>-spec`` holding ``spec.json``, mounted in the pod at ``/etc/bighead``
  and owned by the Job, so the garbage collector deletes it with the Job;
* the Job ``<id>`` (``backoffLimit`` 0 by default: a run is not retried behind the
  user's back), whose pod runs ``python -m jupyter_bighead.jobs.worker``;
* the pod the Job controller creates.

The objects are built by the pure functions of :mod:`.manifests`; this module only
gathers their inputs and talks to the cluster.

The worker writes ``executed.ipynb``, ``metrics.jsonl``, ``output.log`` and, last,
``result.json`` into the job's folder (``BIGHEAD_HOME/jobs/<id>``) exactly as with the
``local`` executor. On a real cluster that folder must therefore be visible to the pods
at the same path: mount a shared volume (for instance a ReadWriteMany PVC holding
BIGHEAD_HOME and the notebooks) through ``volumes`` and ``volume_mounts``. The result
file is what makes a run final; the Job's conditions and pods explain failures that
left no result (deadline, crash, a lost node).

Status comes from a watch on the executor's pods while any job is active (a daemon
thread), and from the same reconciliation on every ``status``/``list`` call, so a fresh
executor on the same home picks up where the last one stopped. The ``kubernetes``
package is imported only when the cluster is first used, never at import time.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import jupyter_bighead.jobs.k8s_cluster as dask_k8s
import jupyter_bighead.jobs.manifests as m

from ..config import BigheadHome
from ..errors import BigheadError, Conflict, InvalidSpec, NotFound, Unavailable
from ..kube import DEFAULT_IMAGE, dns_name, kube_errors, make_api_client
from ..registry.protect import protected_aliases
from ..roles import check_acting_as, require_current
from .executor import Executor, current_user
from .manifests import JOB_ID, SCHEDULE, SELECTOR
from .records import JobRecord, now
from .spec import ComputeProfile, JobSpec, check_within_profile

T = TypeVar("T")

def notebook_kernel(spec: JobSpec) -> str | None:
    """The kernel the run uses: the spec's, else the notebook's kernelspec name."""
    if spec.kernel or not spec.notebook:
        return spec.kernel
    try:
        meta = json.loads(Path(spec.notebook).read_text("utf-8")).get("metadata", {})
    except (OSError, ValueError):
        return None
    name = meta.get("kernelspec", {}).get("name")
    return name if isinstance(name, str) else None


class KubernetesExecutor(Executor):
    """Run jobs as Kubernetes Jobs.

    Parameters
    ----------
    home, profiles
        As for every executor.
    namespace
        Where Jobs, ConfigMaps and CronJobs are created.
    kubeconfig, context
        The kubeconfig file (default: ``$KUBECONFIG`` or ``~/.kube/config``) and context.
        Inside a pod, with no ``kubeconfig`` given, the in-cluster configuration is used.
    image
        The worker image when neither the profile nor ``kernel_images`` names one. It
        must have jupyter-bighead (and the notebook's kernel) installed.
    kernel_images
        Kernelspec name to image, so a run uses the image matching the notebook's kernel
        (default: the admin store's mappings, read at each submit).
    service_account, backoff_limit, active_deadline_seconds
        Copied into every Job.
    volumes, volume_mounts
        Extra pod volumes and worker mounts: on a real cluster, the shared volume that
        holds BIGHEAD_HOME (and the notebooks) at the same path as on the server.
    request_timeout
        Seconds for one API call; an unreachable cluster raises ``Unavailable`` instead
        of hanging.
    delete_timeout
        How long ``cancel`` waits for the Job's pods to be gone.
    dask
        The Dask setting job pods see as ``$BIGHEAD_DASK`` when it is a scheduler
        address (default: this process's ``$BIGHEAD_DASK``); a job that asks for its own
        cluster (``JobSpec.cluster``) gets that cluster's scheduler instead.
    """

    name: ClassVar[str] = "kubernetes"
    capabilities: ClassVar[frozenset[str]] = frozenset(
        {"cancel", "logs", "schedules", "gpus", "remote", "dask_cluster"})

    def __init__(
        self,
        home: BigheadHome | None = None,
        profiles: Mapping[str, ComputeProfile] | None = None,
        namespace: str = "default",
        kubeconfig: str | os.PathLike[str] | None = None,
        context: str | None = None,
        image: str = DEFAULT_IMAGE,
        kernel_images: Mapping[str, str] | None = None,
        service_account: str | None = None,
        backoff_limit: int = 0,
        active_deadline_seconds: int | None = None,
        volumes: Sequence[Mapping[str, Any]] = (),
        volume_mounts: Sequence[Mapping[str, Any]] = (),
        request_timeout: float = 5.0,
        delete_timeout: float = 30.0,
        dask: str | None = None,
    ) -> None:
        super().__init__(home, profiles)
        if backoff_limit < 0:
            raise InvalidSpec("backoff_limit must be >= 0")
        if active_deadline_seconds is not None and active_deadline_seconds < 1:
            raise InvalidSpec("active_deadline_seconds must be >= 1")
        self.namespace = namespace
        self.kubeconfig = str(kubeconfig) if kubeconfig else None
        self.context = context
        self.image = image
        # None: the admin store's mappings, read at each use (an edit applies at once).
        self._kernel_images = None if kernel_images is None else dict(kernel_images)
        self.service_account = service_account
        self.backoff_limit = backoff_limit
        self.active_deadline_seconds = active_deadline_seconds
        self.volumes = [dict(v) for v in volumes]
        self.volume_mounts = [dict(m) for m in volume_mounts]
        self.request_timeout = request_timeout
        self.delete_timeout = delete_timeout
        self.dask = dask
        self._client: Any = None
        self._lock = threading.RLock()
        self._stopping: set[str] = set()
        self._watcher: threading.Thread | None = None
        self._closed = False

    @property
    def kernel_images(self) -> dict[str, str]:
        """Kernelspec name -> image: as given to the constructor, else the admin
        store's (:class:`jupyter_bighead.admin.AdminSettings`), read live."""
        if self._kernel_images is None:
            return self.admin.kernel_images()
        return self._kernel_images

    # -- the cluster -----------------------------------------------------------------
    def api_client(self) -> Any:
        """The ``kubernetes.client.ApiClient`` (configured on first use).

        Raises
        ------
        Unavailable
            If there is no usable configuration (not in a pod, no kubeconfig).
        """
        if self._client is None:
            self._client = make_api_client(self.kubeconfig, self.context)
        return self._client

    def _core(self) -> Any:
        from kubernetes import client

        return client.CoreV1Api(self.api_client())

    def _batch(self) -> Any:
        from kubernetes import client

        return client.BatchV1Api(self.api_client())

    def _call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """One API call with a timeout, its failures turned into typed errors."""
        kwargs.setdefault("_request_timeout", self.request_timeout)
        with self._errors():
            return fn(*args, **kwargs)

    def _errors(self) -> Any:
        """The client's exceptions as typed errors (:func:`..kube.kube_errors`)."""
        return kube_errors(self._client)

    def _cronjob_resource(self) -> tuple[Any, str]:
        """The CronJob resource of the dynamic client: ``batch/v1``, else ``batch/v1beta1``."""
        from kubernetes.dynamic import DynamicClient
        from kubernetes.dynamic.exceptions import ResourceNotFoundError

        with self._errors():
            dyn = DynamicClient(self.api_client())
            for version in ("batch/v1", "batch/v1beta1"):
                try:
                    return dyn.resources.get(api_version=version, kind="CronJob"), version
                except ResourceNotFoundError:
                    continue
        raise Unavailable("the cluster serves CronJob in neither batch/v1 nor batch/v1beta1")

    # -- manifests -------------------------------------------------------------------
    def image_for(self, spec: JobSpec, profile: ComputeProfile) -> str:
        """The profile's image, else the image of the notebook's kernel, else the default."""
        kernel = notebook_kernel(spec)
        return profile.image or (self.kernel_images.get(kernel) if kernel else None) or self.image

    def pod_template(self, spec: JobSpec, profile: ComputeProfile, resources: Mapping[str, Any],
                     labels: Mapping[str, str], configmap: str, out: str,
                     env: Sequence[Mapping[str, Any]] = ()) -> dict[str, Any]:
        """The pod that runs the worker on ``spec``, writing into folder ``out``
        (:func:`.manifests.pod_template` with this executor's settings)."""
        return m.pod_template(
            image=self.image_for(spec, profile), home=str(self.home.root), profile=profile,
            resources=resources, labels=labels, configmap=configmap, out=out,
            protected=protected_aliases(), env=env, volumes=self.volumes,
            volume_mounts=self.volume_mounts, service_account=self.service_account)

    def job_spec(self, template: Mapping[str, Any]) -> dict[str, Any]:
        return m.job_body(template, backoff_limit=self.backoff_limit,
                          active_deadline_seconds=self.active_deadline_seconds)

    # -- backend hooks ---------------------------------------------------------------
    def _launch(self, record: JobRecord, profile: ComputeProfile) -> JobRecord:
        folder = self.store.folder(record.id)
        spec_json = json.dumps(record.spec.to_dict(), indent=2)
        (folder / "spec.json").write_text(spec_json, "utf-8")
        labels = m.job_labels(record.spec, record.user, **{JOB_ID: record.id})
        configmap = f"{record.id}-spec"
        dask_env = dask_k8s.job_env(record, self.dask if self.dask is not None
                                    else os.environ.get(dask_k8s.ENV))
        template = self.pod_template(record.spec, profile, record.resources, labels,
                                     configmap, str(folder), dask_env)
        job = m.job_manifest(record.id, labels, self.job_spec(template))
        cluster = record.cluster
        try:
            core, batch = self._core(), self._batch()
            self._call(core.create_namespaced_config_map, self.namespace,
                       m.spec_configmap(configmap, labels, spec_json))
            try:
                created = self._call(batch.create_namespaced_job, self.namespace, job)
                # The Job owns the ConfigMap, so deleting the Job deletes it (garbage
                # collector) even when the executor is not around to clean up.
                self._call(core.patch_namespaced_config_map, configmap, self.namespace,
                           m.owner_patch("batch/v1", "Job", record.id, created.metadata.uid))
                if cluster:  # the job's own Dask cluster, owned by the Job too
                    cluster = dask_k8s.create(self, record, labels, created.metadata.uid)
            except BigheadError:
                self._delete_objects(self.namespace, record.id, configmap)
                raise
        except BigheadError:
            shutil.rmtree(folder, ignore_errors=True)  # a submit that failed leaves no job
            raise
        image = template["spec"]["containers"][0]["image"]
        record = self.store.save(record.evolve(
            backend={"namespace": self.namespace, "job": record.id, "configmap": configmap,
                     "image": image, "pods": []}, cluster=cluster,
            environment={"image": image, "kernel": notebook_kernel(record.spec)}))
        self._ensure_watch()
        return record

    def _refresh(self, record: JobRecord) -> JobRecord:
        if record.final:
            return record
        with self._lock:
            record = self.store.load(record.id)  # another thread may have moved it on
            if record.final or record.id in self._stopping:
                return record
            result = self.store.result(record.id)
            if result is not None:
                return self._finish(record, result)
            try:
                return self._reconcile(record)
            except Unavailable:
                return record  # keep the last known state; the next look tries again

    def _stop(self, record: JobRecord) -> None:
        self._stopping.add(record.id)
        ns = record.backend.get("namespace", self.namespace)
        self._delete_objects(ns, record.backend.get("job", record.id),
                             record.backend.get("configmap", f"{record.id}-spec"))
        deadline = time.monotonic() + self.delete_timeout
        while time.monotonic() < deadline and self.leftovers(record.id, ns):
            time.sleep(0.3)

    def cancel(self, job_id: str) -> JobRecord:
        with self._lock:  # the watch thread must not refresh a job half-way cancelled
            record = super().cancel(job_id)
            if record.cluster.get("state") in ("starting", "running"):
                record = self.store.save(record.evolve(cluster=dask_k8s.stopped(record.cluster)))
            return record

    # -- reconciliation --------------------------------------------------------------
    def _reconcile(self, record: JobRecord) -> JobRecord:
        ns = record.backend.get("namespace", self.namespace)
        name = record.backend.get("job", record.id)
        job = self._read_job(ns, name)
        if job is None:
            return self._fail(record, f"the Kubernetes Job {ns}/{name} was deleted before the "
                                      "worker finished")
        pods = self._call(self._core().list_namespaced_pod, ns,  # not the Dask pods
                          label_selector=f"{JOB_ID}={record.id},!{m.DASK_ROLE}").items
        failure = _condition(job, "Failed")
        if failure is not None:
            return self._fail(record, self._explain_failure(record, failure, pods))
        if _condition(job, "Complete") is not None:
            time.sleep(0.5)  # result.json is written before the pod ends; allow for NFS lag
            result = self.store.result(record.id)
            if result is not None:
                return self._finish(record, result)
            return self._fail(record, "the worker pod succeeded but left no result.json in "
                                      f"{self.store.folder(record.id)}; is that folder on a "
                                      "volume shared with the pods?")
        live = {p.metadata.name: p for p in pods if p.metadata.deletion_timestamp is None}
        seen = list(record.backend.get("pods") or [])
        lost = [p for p in seen if p not in live]
        if lost:
            time.sleep(1.0)  # the Job controller deletes pods before it records a deadline
            job = self._read_job(ns, name)
            failure = _condition(job, "Failed") if job is not None else None
            if failure is not None:
                return self._fail(record, self._explain_failure(record, failure, pods))
            if self.store.result(record.id) is not None:
                return self._finish(record, self.store.result(record.id) or {})
            return self._fail(record, f"pod {lost[0]} was lost before the worker finished "
                                      "(deleted, or its node went away); the run is not "
                                      "retried")
        changes: dict[str, Any] = {}
        cluster = dask_k8s.refresh(self, record)
        if cluster is not None:
            changes["cluster"] = cluster
        if set(live) - set(seen):
            changes["backend"] = {**record.backend, "pods": sorted(set(seen) | set(live))}
        running = [p for p in live.values() if p.status and p.status.phase == "Running"]
        if running and record.state == "queued":
            started = running[0].status.start_time
            changes.update(state="running", started=started.isoformat() if started else now())
        return self.store.save(record.evolve(**changes)) if changes else record

    def _read_job(self, ns: str, name: str) -> Any:
        try:
            return self._call(self._batch().read_namespaced_job, name, ns)
        except NotFound:
            return None

    def _explain_failure(self, record: JobRecord, failure: Any, pods: Sequence[Any]) -> str:
        result = self.store.result(record.id)
        if result is not None and result.get("error"):
            return str(result["error"])
        if failure.reason == "DeadlineExceeded":
            return (f"the job ran longer than its deadline of "
                    f"{self.active_deadline_seconds or '?'} s and was stopped")
        for pod in pods:
            for status in (pod.status and pod.status.container_statuses) or []:
                term = status.state and status.state.terminated
                if term is not None:
                    return (f"the worker exited with code {term.exit_code}"
                            f"{' (' + term.reason + ')' if term.reason else ''} without "
                            "writing a result")
        return f"the Kubernetes Job failed: {failure.reason}: {failure.message}"

    def _finish(self, record: JobRecord, result: Mapping[str, Any]) -> JobRecord:
        environment = {**record.environment, **(result.get("environment") or {})}
        done = self._finish_from_result(record.evolve(cluster=dask_k8s.stopped(record.cluster)),
                                        {**result, "environment": environment})
        self._cleanup(done)
        return done

    def _fail(self, record: JobRecord, error: str) -> JobRecord:
        result = self.store.result(record.id)  # the worker may have finished meanwhile
        if result is not None:
            return self._finish(record, result)
        done = self.store.save(record.evolve(state="failed", finished=now(), error=error,
                                             cluster=dask_k8s.stopped(record.cluster)))
        self._cleanup(done)
        return done

    def _cleanup(self, record: JobRecord) -> None:
        """A final run keeps nothing in the cluster: its outputs are in the job folder."""
        try:
            self._delete_objects(record.backend.get("namespace", self.namespace),
                                 record.backend.get("job", record.id),
                                 record.backend.get("configmap", f"{record.id}-spec"))
        except Unavailable:
            pass  # the owner reference still lets the garbage collector finish the job

    def _delete_objects(self, ns: str, job: str, configmap: str) -> None:
        body = {"propagationPolicy": "Foreground"}
        for fn, name in ((self._batch().delete_namespaced_job, job),
                         (self._core().delete_namespaced_config_map, configmap)):
            try:
                self._call(fn, name, ns, body=body)
            except NotFound:
                pass
        dask_k8s.delete(self, ns, job)

    def leftovers(self, job_id: str, namespace: str | None = None) -> list[str]:
        """``kind/name`` of every Job, Pod, ConfigMap or Service still labelled with
        ``job_id``."""
        ns = namespace or self.namespace
        selector = f"{JOB_ID}={job_id}"
        core, batch = self._core(), self._batch()
        found = []
        for kind, fn in (("job", batch.list_namespaced_job), ("pod", core.list_namespaced_pod),
                         ("configmap", core.list_namespaced_config_map),
                         ("service", core.list_namespaced_service)):
            found += [f"{kind}/{o.metadata.name}"
                      for o in self._call(fn, ns, label_selector=selector).items]
        return found

    # -- the watch -------------------------------------------------------------------
    def _ensure_watch(self) -> None:
        with self._lock:
            if self._closed or (self._watcher is not None and self._watcher.is_alive()):
                return
            self._watcher = threading.Thread(target=self._watch_loop, daemon=True,
                                             name="bighead-k8s-watch")
            self._watcher.start()

    def _watch_loop(self) -> None:
        """Refresh a job whenever one of its pods changes, while any job is active."""
        from kubernetes import watch

        while not self._closed:
            if not any(not r.final for r in self.store.all() if r.executor == self.name):
                return
            stream = watch.Watch()
            try:
                for event in stream.stream(self._core().list_namespaced_pod, self.namespace,
                                           label_selector=SELECTOR, timeout_seconds=5,
                                           _request_timeout=self.request_timeout + 10):
                    job_id = (event["object"].metadata.labels or {}).get(JOB_ID)
                    if job_id:
                        try:
                            self.status(job_id)
                        except BigheadError:
                            pass
                    if self._closed:
                        stream.stop()
            except Exception:  # a dropped connection: look again shortly
                time.sleep(1.0)

    def close(self) -> None:
        """Stop the watch thread within seconds (jobs keep running in the cluster)."""
        self._closed = True

    # -- schedules -------------------------------------------------------------------
    def schedule(self, spec: JobSpec, user: str | None = None) -> dict[str, Any]:
        """Create a CronJob that runs ``spec`` on ``spec.schedule``; return its summary.

        Each run writes into ``BIGHEAD_HOME/schedules/<name>/<pod name>``.

        Raises
        ------
        InvalidSpec
            No schedule, an unknown profile, resources over the profile.
        Conflict
            A schedule of that name exists.
        Unavailable
            The cluster cannot be reached or serves no CronJob API.
        """
        require_current("write", doing="schedule a job")
        check_acting_as(user)
        cron = spec.schedule
        if not cron:
            raise InvalidSpec("a schedule needs a cron expression in 'schedule'")
        if spec.cluster:
            raise InvalidSpec("a schedule on Kubernetes cannot start a Dask cluster per run "
                              "yet; leave out 'cluster' or give the job a scheduler address")
        user = user or current_user()
        spec = self._resolve_notebook(spec)
        profile = self.profile(spec.profile)
        resources = check_within_profile(spec, profile)
        name = dns_name(spec.display_name)
        labels = m.job_labels(spec, user, **{SCHEDULE: name})
        configmap = f"{name}-spec"
        out = f"{self.home.root / 'schedules' / name}/$(BIGHEAD_RUN)"
        env = [{"name": "BIGHEAD_RUN", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}]
        template = self.pod_template(spec, profile, resources, labels, configmap, out, env)
        resource, version = self._cronjob_resource()
        body = m.cronjob_manifest(name, labels, cron, version, self.job_spec(template))
        spec_json = json.dumps(spec.to_dict(), indent=2)
        core = self._core()
        try:
            self._call(core.create_namespaced_config_map, self.namespace,
                       m.spec_configmap(configmap, labels, spec_json))
        except Conflict:
            raise Conflict(f"a schedule named {name!r} exists; unschedule it first") from None
        try:
            created = self._call(resource.create, body=body, namespace=self.namespace)
            self._call(core.patch_namespaced_config_map, configmap, self.namespace,
                       m.owner_patch(version, "CronJob", name, created.metadata.uid))
        except BigheadError:
            try:
                self._call(core.delete_namespaced_config_map, configmap, self.namespace)
            except BigheadError:
                pass
            raise
        return {"name": name, "schedule": spec.schedule, "namespace": self.namespace,
                "api_version": version, "spec": spec.to_dict(), "user": user}

    def schedules(self) -> list[dict[str, Any]]:
        """The CronJobs this executor created (not those a foreground delete keeps)."""
        resource, version = self._cronjob_resource()
        items = self._call(resource.get, namespace=self.namespace, label_selector=SELECTOR)
        return [{"name": i.metadata.name, "schedule": i.spec.schedule,
                 "namespace": self.namespace, "api_version": version,
                 "suspended": bool(i.spec.suspend)} for i in items.items
                if not i.metadata.deletionTimestamp]

    def unschedule(self, name: str) -> None:
        """Delete schedule ``name`` (its CronJob, spec ConfigMap and running Jobs).

        Raises
        ------
        NotFound
            No such schedule (or one already being deleted).
        """
        resource, _ = self._cronjob_resource()
        try:
            cron = self._call(resource.get, name=name, namespace=self.namespace)
            if cron.metadata.deletionTimestamp:
                raise NotFound(name)
            self._call(resource.delete, name=name, namespace=self.namespace,
                       body={"propagationPolicy": "Foreground"})
        except NotFound:
            raise NotFound(f"schedule {name!r} does not exist") from None
        try:
            self._call(self._core().delete_namespaced_config_map, f"{name}-spec",
                       self.namespace)
        except NotFound:
            pass


def _condition(job: Any, kind: str) -> Any:
    """The Job's condition ``kind`` if it is true, else None."""
    return next((c for c in (job.status and job.status.conditions) or []
                 if c.type == kind and c.status == "True"), None)
