"""The ``local`` executor: each job is a worker subprocess on this machine.

Records live on disk, so the executor survives a server restart: a run whose worker
is still alive keeps running, one whose worker vanished without writing its result
is marked failed. At most ``max_concurrent`` jobs run at once; the rest wait queued.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from .._procs import alive, create_time, spawn, stop_tree
from ..config import HOME_ENV, BigheadHome
from ..errors import BigheadError, InvalidSpec
from ..resources import parse_quantity
from ..roles import check_acting_as, require_current, require_owner_current
from .executor import Executor
from .gpus import GpuQueue, GpuRequest, detect_gpus, gpu_env
from .job_cluster import PLAN_ENV, read_state
from .records import JobRecord, now
from .schedules import ScheduleStore, due_minutes
from .spec import ComputeProfile, JobSpec, check_within_profile

# ``_alive`` is imported by name elsewhere (tests, the local deploy target).
_alive = alive


def job_mark(job_id: str) -> str:
    """The process mark (see ``_procs``) every process of job ``job_id`` carries."""
    return f"job:{job_id}"


class LocalExecutor(Executor):
    """Run jobs as local subprocesses (papermill in a fresh kernel)."""

    name: ClassVar[str] = "local"
    capabilities: ClassVar[frozenset[str]] = frozenset(
        {"cancel", "logs", "schedules", "scheduler", "gpus", "dask_cluster"})

    def cluster_plan(self, spec: JobSpec) -> dict[str, Any]:
        """The base plan, refused when its workers' memory together exceeds this
        machine's: they would all run here. (On Kubernetes, sizing a cluster against the
        nodes and quotas is the cluster's business.)

        Raises
        ------
        InvalidSpec
            As the base, or naming the workers x memory asked for and the machine's.
        """
        plan = super().cluster_plan(spec)
        if plan:
            each = parse_quantity(plan["memory"], "cluster memory")
            need, have = plan["workers"] * each, _machine_memory()
            if have and need > have:
                raise InvalidSpec(
                    f"the job's cluster asks for {plan['workers']} workers x {plan['memory']} "
                    f"= {need / 2**30:.1f} GiB, more than this machine's "
                    f"{have / 2**30:.1f} GiB; ask for fewer workers or a smaller profile")
        return plan

    def __init__(
        self,
        home: BigheadHome | None = None,
        profiles: Mapping[str, ComputeProfile] | None = None,
        max_concurrent: int = 2,
        gpus: Sequence[str] | None = None,
    ) -> None:
        super().__init__(home, profiles)
        # The machine's GPUs: ``gpus`` (ids), else $BIGHEAD_LOCAL_GPUS, else nvidia-smi
        # (detected on first use, not here: constructing an executor stays cheap).
        self._gpu_queue = GpuQueue(detect_gpus(gpus)) if gpus is not None else None
        if max_concurrent < 1:
            raise InvalidSpec("max_concurrent must be at least 1")
        self.max_concurrent = max_concurrent
        self._children: dict[str, subprocess.Popen[bytes]] = {}
        self._lock = threading.RLock()
        self._pump: threading.Thread | None = None
        self._scheduler: threading.Thread | None = None
        self._closing = threading.Event()  # set by close(): the scheduler thread ends
        self._schedule_errors: dict[str, str] = {}
        self.schedule_store = ScheduleStore(self.home.root / "schedules")

    # -- backend hooks ---------------------------------------------------------------
    def _launch(self, record: JobRecord, profile: ComputeProfile) -> JobRecord:
        folder = self.store.folder(record.id)
        (folder / "spec.json").write_text(json.dumps(record.spec.to_dict(), indent=2))
        self._schedule()
        self._ensure_pump()
        return self.store.load(record.id)

    def _refresh(self, record: JobRecord) -> JobRecord:
        if record.final:
            return record
        with self._lock:
            record = self.store.load(record.id)  # another thread may have moved it on
            if record.final:
                return record
            record = self._cluster_seen(record)
            result = self.store.result(record.id)
            if result is not None:
                self._reap(record.id)
                return self._finish_from_result(record, result)
            if record.state == "running" and not _alive(record.pid, record.pid_started):
                self._reap(record.id)
                # A worker killed under its kernel (or a server restart) leaves the
                # kernel running in its own session: stop what carries the job's mark.
                stop_tree(None, None, job_mark(record.id), grace=2.0)
                result = self.store.result(record.id)  # it may have finished just now
                if result is not None:
                    return self._finish_from_result(record, result)
                return self.store.save(_cluster_stopped(record.evolve(
                    state="failed", finished=now(),
                    error="the worker process disappeared before finishing (crash, kill or "
                          "server restart)",
                )))
            return record

    def _cluster_seen(self, record: JobRecord) -> JobRecord:
        """``record`` with what its cluster's ``cluster.json`` says (saved if changed)."""
        if not record.cluster or record.state != "running":
            return record
        seen = read_state(self.store.folder(record.id))
        live = {k: seen[k] for k in ("state", "address", "dashboard") if k in seen}
        if not live or all(record.cluster.get(k) == v for k, v in live.items()):
            return record
        return self.store.save(record.evolve(cluster={**record.cluster, **live}))

    def _finish_from_result(self, record: JobRecord, result: Mapping[str, Any]) -> JobRecord:
        done = super()._finish_from_result(record, result)
        if not done.cluster:
            return done
        seen = read_state(self.store.folder(record.id))
        return self.store.save(_cluster_stopped(done.evolve(
            cluster={**done.cluster, **{k: seen[k] for k in ("state", "address", "dashboard")
                                        if k in seen}})))

    # -- schedules (the same API as KubernetesExecutor) --------------------------------
    def schedule(self, spec: JobSpec, user: str | None = None,
                 name: str | None = None) -> dict[str, Any]:
        """Run ``spec`` at every minute its ``schedule`` (cron, UTC) matches.

        Raises
        ------
        InvalidSpec
            No or a malformed schedule, an unknown profile, resources over the profile,
            parameters the notebook does not declare.
        NotFound
            The notebook does not exist.
        Conflict
            A schedule of that name exists.
        """
        require_current("write", doing="schedule a job")
        check_acting_as(user)
        from .executor import current_user

        if not spec.schedule:
            raise InvalidSpec("a schedule needs a cron expression in 'schedule'")
        spec = self._resolve_notebook(spec)
        check_within_profile(spec, self.profile(spec.profile))
        self.cluster_plan(spec)
        name = name or re.sub(r"[^a-z0-9]+", "-",
                              spec.display_name.lower().removesuffix(".ipynb")).strip("-")
        item = self.schedule_store.create(name or "schedule", spec, user or current_user())
        self.start_scheduler()
        return item.to_dict()

    def schedules(self) -> list[dict[str, Any]]:
        return [s.to_dict() for s in self.schedule_store.all()]

    def unschedule(self, name: str) -> None:
        """Delete schedule ``name`` (runs already submitted go on). NotFound if missing;
        in a team, only its maker or an admin may."""
        owner = next((s.user for s in self.schedule_store.all() if s.name == name), None)
        if owner is not None:
            require_owner_current(owner, doing=f"delete the schedule {name!r}")
        self.schedule_store.delete(name)

    def tick(self, now: datetime | None = None) -> list[JobRecord]:
        """Submit the runs that are due; return them. Called by the scheduler thread."""
        now = now or datetime.now(UTC)
        started = []
        with self._lock:
            for item in self.schedule_store.all():
                due = due_minutes(item, now)
                if not due:
                    continue
                # Record the fire first: a crash must not run the same minute twice.
                self.schedule_store.save(replace(item, last_fired=due[-1].isoformat()))
                run = replace(item.spec, schedule=None,
                              labels={**item.spec.labels, "schedule": item.name})
                try:  # missed minutes collapse into one run
                    started.append(self.submit(run, user=item.user))
                except BigheadError as exc:
                    self._schedule_errors[item.name] = exc.message
        return started

    def start_scheduler(self, interval: float = 20.0) -> None:
        """Keep checking schedules in a daemon thread (idempotent) until :meth:`close`."""
        with self._lock:
            if self._scheduler is not None and self._scheduler.is_alive():
                return
            self._closing.clear()
            self._scheduler = threading.Thread(target=self._scheduler_loop, args=(interval,),
                                               name="bighead-schedules", daemon=True)
            self._scheduler.start()

    def _scheduler_loop(self, interval: float) -> None:
        while not self._closing.is_set():
            try:
                self.tick()
            except Exception:  # keep the thread alive through transient errors
                pass
            self._closing.wait(interval)

    def close(self, timeout: float = 5.0) -> None:
        """Stop the scheduler thread (waiting up to ``timeout`` s for a tick in progress);
        running jobs keep running. Idempotent."""
        self._closing.set()
        scheduler = self._scheduler
        if scheduler is not None and scheduler is not threading.current_thread():
            scheduler.join(timeout)

    def cancel(self, job_id: str) -> JobRecord:
        # Under the lock, so the scheduling thread cannot record the dying worker as
        # "failed" between the kill and the "cancelled" record.
        with self._lock:
            record = super().cancel(job_id)
            if "queue_position" in record.backend:  # cancelled while queued
                record = self.store.save(_dequeued(record))
            if record.cluster and record.cluster.get("state") not in ("stopped", "failed"):
                record = self.store.save(_cluster_stopped(record))
            return record

    def _stop(self, record: JobRecord) -> None:
        with self._lock:
            # The worker, its group and its tree (the worker is a subreaper: the kernel's
            # session and a notebook's double-forked daemons stay under it), and every
            # process that carries the job's mark. Works after a server restart too.
            stop_tree(record.pid if record.state == "running" else None,
                      record.pid_started, job_mark(record.id))
            self._reap(record.id)

    # -- scheduling ------------------------------------------------------------------
    def _schedule(self) -> None:
        """Refresh active jobs and start queued ones: jobs without GPUs oldest first while
        fewer than ``max_concurrent`` of them run, jobs with GPUs as the GPU queue allows."""
        with self._lock, _one_scheduler(self.store.root):
            active = [self._refresh(r) for r in self.store.all()
                      if r.executor == self.name and not r.final]
            running = sum(1 for r in active if r.state == "running" and not _gpus_wanted(r))
            waiting = []
            for record in sorted((r for r in active if r.state == "queued"),
                                 key=lambda r: r.created):
                if _gpus_wanted(record) or running >= self.max_concurrent:
                    waiting.append(record)
                    continue
                self._start(_dequeued(record))
                running += 1
            self._schedule_gpus(active, waiting)

    def _start(self, record: JobRecord) -> JobRecord:
        folder = self.store.folder(record.id)
        env = dict(os.environ)
        env[HOME_ENV] = str(self.home.root)
        env["BIGHEAD_JOB_ID"] = record.id
        env["PYTHONUNBUFFERED"] = "1"
        if _held_ids(record) or self.gpu_queue.total:  # only the GPUs it holds, maybe none
            env.update(gpu_env(_held_ids(record)))
        env.pop(PLAN_ENV, None)
        if record.cluster:  # the worker starts it, as its own child processes
            env[PLAN_ENV] = json.dumps(record.cluster)
        mark = job_mark(record.id)

        def exited(proc: subprocess.Popen[bytes]) -> None:
            # Like a pod's end: nothing the job started outlives its worker.
            self._children.pop(record.id, None)
            stop_tree(None, None, mark, grace=2.0)

        with (folder / "output.log").open("ab") as log:
            # A session of its own, marked, and reaped by a thread as soon as it exits.
            proc = spawn(
                [sys.executable, "-m", "jupyter_bighead.jobs.worker",
                 "--spec", str(folder / "spec.json"), "--out", str(folder)],
                mark=mark, env=env, on_exit=exited,
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            )
        self._children[record.id] = proc
        return self.store.save(record.evolve(state="running", started=now(), pid=proc.pid,
                                             pid_started=create_time(proc.pid)))

    def _reap(self, job_id: str) -> None:
        """Forget a worker that has exited (a thread of ``spawn`` already waited for it)."""
        proc = self._children.get(job_id)
        if proc is not None and proc.poll() is not None:
            self._children.pop(job_id, None)

    def _ensure_pump(self) -> None:
        """A background thread that keeps queued jobs moving while any job is active."""
        with self._lock:
            if self._pump is not None and self._pump.is_alive():
                return
            self._pump = threading.Thread(target=self._pump_loop, name="bighead-local-jobs",
                                          daemon=True)
            self._pump.start()

    def _pump_loop(self) -> None:
        while True:
            time.sleep(0.25)
            try:
                self._schedule()
                if not any(not r.final for r in self.store.all() if r.executor == self.name):
                    return
            except Exception:  # never let the pump die silently on a transient error
                time.sleep(1.0)

    # -- the GPU queue (see .gpus for the policy) --------------------------------------
    @property
    def gpu_queue(self) -> GpuQueue:
        """This machine's GPUs and which job holds which (detected on first use)."""
        with self._lock:
            if self._gpu_queue is None:
                self._gpu_queue = GpuQueue(detect_gpus())
            return self._gpu_queue

    def submit(self, spec: JobSpec, user: str | None = None) -> JobRecord:
        """As :meth:`Executor.submit`. A job that asks for GPUs (``resources["gpu"]``, or
        its profile's ``gpu``) waits "queued", its place in ``backend["queue_position"]``,
        until it can hold them alone; ``backend["gpus"]`` then lists them.

        Raises
        ------
        InvalidSpec
            Also when the job asks for more GPUs than this machine has.
        """
        wanted = check_within_profile(spec, self.profile(spec.profile)).get("gpu") or 0
        self.gpu_queue.check(int(wanted))
        return super().submit(spec, user)

    def _schedule_gpus(self, active: list[JobRecord], waiting: list[JobRecord]) -> None:
        """Start the GPU jobs the queue lets through; note every waiting job's place."""
        queue = self.gpu_queue
        # What the running jobs' records say they hold: a job that ended releases its
        # GPUs by dropping out, and a restarted server takes over what its jobs hold.
        queue.sync({r.id: (r.user or "", _held_ids(r)) for r in active
                    if r.state == "running"})
        left = {r.id: r for r in waiting}
        requests = {}
        for record in waiting:
            want = _gpus_wanted(record)
            if want > queue.total:  # the machine's GPUs changed since it was submitted
                left.pop(record.id)
                self.store.save(_dequeued(record).evolve(
                    state="failed", finished=now(),
                    error=f"the job asks for {want} GPU(s); this machine has {queue.total}"))
            elif want:
                requests[record.id] = GpuRequest(record.id, record.user or "", want,
                                                 record.created)
        for request, devices in queue.assign(list(requests.values())):
            record = left.pop(request.job_id)
            del requests[request.job_id]
            record = _dequeued(record)
            self._start(record.evolve(backend={**record.backend,
                                               "gpus": [g.to_dict() for g in devices]}))
        gpu_places = queue.positions(requests.values())
        cpu_place = 0
        for record in left.values():
            if record.id in gpu_places:
                place = gpu_places[record.id]
            else:
                cpu_place += 1
                place = cpu_place
            if record.backend.get("queue_position") != place:
                self.store.save(record.evolve(backend={**record.backend,
                                                       "queue_position": place}))


@contextmanager
def _one_scheduler(folder: Path) -> Iterator[None]:
    """One scheduling pass at a time per home, across processes too (a kernel's executor
    beside the server's), so no two start the same job or hand out the same GPU."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX: the thread lock alone
        yield
        return
    with (folder / ".schedule.lock").open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _cluster_stopped(record: JobRecord) -> JobRecord:
    """``record`` with its Dask cluster (if any) marked stopped: a final job has none."""
    if not record.cluster or record.cluster.get("state") in ("stopped", "failed"):
        return record
    return record.evolve(cluster={**record.cluster, "state": "stopped"})


def _gpus_wanted(record: JobRecord) -> int:
    try:
        return max(0, int(record.resources.get("gpu") or 0))
    except (TypeError, ValueError):
        return 0


def _dequeued(record: JobRecord) -> JobRecord:
    """``record`` without its place in the queue (it is about to start)."""
    if "queue_position" not in record.backend:
        return record
    return record.evolve(backend={k: v for k, v in record.backend.items()
                                  if k != "queue_position"})


def _held_ids(record: JobRecord) -> list[str]:
    """The ids of the GPUs a job's record says it holds (``backend["gpus"]``)."""
    held = record.backend.get("gpus")
    if not isinstance(held, list):
        return []
    return [str(g["id"]) for g in held if isinstance(g, dict) and g.get("id")]


def _machine_memory() -> int:
    """This machine's physical memory in bytes (0 when unknown)."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return 0
