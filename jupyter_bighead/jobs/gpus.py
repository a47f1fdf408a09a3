"""The GPU work queue ("Big Q" on one machine): which GPUs exist, who holds which, who is next.

Pure bookkeeping, no processes: :func:`detect_gpus` finds the devices, :class:`GpuQueue`
hands them out exclusively and in a fair order, and :func:`gpu_env` is what a job's process
sees. The local executor (``jobs/local.py``) drives it.

Policy (what :meth:`GpuQueue.assign` promises):

* **Exclusive.** A device is held by at most one job at a time; a job that asks for no GPU
  gets none (its ``CUDA_VISIBLE_DEVICES`` is empty whenever the machine has GPUs).
* **In order per user.** One user's waiting jobs start in the order they were submitted.
* **Fair across users.** Waiting jobs are served round-robin by owner: every owner's first
  waiting job comes before anyone's second, and within a round owners who hold fewer GPUs
  right now go first (ties: whose oldest job waits longest). A user who queues fifty jobs
  therefore delays another user's one job by at most one job of theirs.
* **Big jobs are not starved.** When the next job in that order needs more GPUs than are
  free, later jobs that fit may start ahead of it ("backfill"), but at most
  ``max_overtakes`` times (default 2). After that nothing behind it starts until it fits,
  so a 2-GPU job waits for at most ``max_overtakes`` 1-GPU jobs plus the running ones.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import InvalidSpec

#: A comma-separated list of GPU ids (indices such as ``0,1`` or UUIDs such as
#: ``GPU-5f1c...``) the local executor may hand out; empty or ``none`` means no GPUs.
#: Unset: the GPUs ``nvidia-smi -L`` lists.
LOCAL_GPUS_ENV = "BIGHEAD_LOCAL_GPUS"

_GPU_LINE = re.compile(r"^GPU (\d+): (.*?) \(UUID: ([^)\s]+)\)\s*$")
_MIG_LINE = re.compile(r"^\s+MIG (\S+)\s+Device\s+(\d+): \(UUID: ([^)\s]+)\)\s*$")
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:/-]*\Z")


@dataclass(frozen=True)
class Gpu:
    """One device a job can hold.

    ``id`` is what the job's ``CUDA_VISIBLE_DEVICES`` gets: the UUID when ``nvidia-smi``
    reported one (immune to CUDA's own device ordering), else the configured id.
    """

    id: str
    name: str = ""
    index: int | None = None  # nvidia-smi's index, when known

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "index": self.index}


def parse_nvidia_smi(text: str) -> tuple[Gpu, ...]:
    """The devices in ``nvidia-smi -L`` output; a GPU split into MIG instances yields those."""
    gpus: list[Gpu] = []
    parent: Gpu | None = None
    migs: list[Gpu] = []

    def flush() -> None:
        if parent is not None:
            gpus.extend(migs or [parent])

    for line in text.splitlines():
        if match := _GPU_LINE.match(line):
            flush()
            parent = Gpu(id=match.group(3), name=match.group(2).strip(),
                         index=int(match.group(1)))
            migs = []
        elif (match := _MIG_LINE.match(line)) and parent is not None:
            migs.append(Gpu(id=match.group(3), name=f"{parent.name} MIG {match.group(1)}",
                            index=parent.index))
    flush()
    return tuple(gpus)


def configured_gpus(ids: Iterable[str]) -> tuple[Gpu, ...]:
    """Devices from an admin's list of ids (indices or UUIDs).

    Raises
    ------
    InvalidSpec
        An empty, malformed or repeated id.
    """
    gpus: list[Gpu] = []
    for raw in ids:
        gid = str(raw).strip()
        if not _ID.match(gid):
            raise InvalidSpec(f"GPU id {raw!r} must be an index like '0' or a UUID like 'GPU-…'")
        if any(g.id == gid for g in gpus):
            raise InvalidSpec(f"GPU id {gid!r} is listed twice")
        gpus.append(Gpu(id=gid, index=int(gid) if gid.isdigit() else None))
    return tuple(gpus)


def detect_gpus(configured: Sequence[str] | None = None,
                environ: Mapping[str, str] | None = None,
                timeout: float = 10.0) -> tuple[Gpu, ...]:
    """The GPUs the local executor may hand out.

    In order of precedence: ``configured`` (``c.BigheadApp.local_gpus``, the executor's
    ``gpus=`` argument), ``$BIGHEAD_LOCAL_GPUS``, else ``nvidia-smi -L`` (none when it is
    missing, fails or hangs past ``timeout``). Detected devices are narrowed to the
    server's own ``$CUDA_VISIBLE_DEVICES`` when that is set (indices as nvidia-smi numbers
    them, or UUIDs), so the queue never hands out a GPU the server was not given.

    Raises
    ------
    InvalidSpec
        A malformed configured id.
    """
    env = os.environ if environ is None else environ
    if configured is not None:
        return configured_gpus(configured)
    text = env.get(LOCAL_GPUS_ENV)
    if text is not None:
        ids = [p for p in text.replace(" ", ",").split(",") if p]
        return () if ids in ([], ["none"]) else configured_gpus(ids)
    exe = shutil.which("nvidia-smi", path=env.get("PATH"))
    if exe is None:
        return ()
    try:
        done = subprocess.run([exe, "-L"], capture_output=True, text=True, timeout=timeout,
                              check=False, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError):
        return ()
    gpus = parse_nvidia_smi(done.stdout) if done.returncode == 0 else ()
    visible = env.get("CUDA_VISIBLE_DEVICES")
    if visible is not None:
        allowed = [v.strip() for v in visible.split(",") if v.strip()]
        gpus = tuple(g for g in gpus if any(
            v == str(g.index) if v.isdigit() else g.id.startswith(v) for v in allowed))
    return gpus


def gpu_env(ids: Sequence[str]) -> dict[str, str]:
    """The environment that confines a job's process to ``ids`` (none when empty)."""
    joined = ",".join(ids)
    return {
        "CUDA_VISIBLE_DEVICES": joined,  # "" hides every device from CUDA
        "NVIDIA_VISIBLE_DEVICES": joined or "none",  # for containers the job starts
        "CUDA_DEVICE_ORDER": "PCI_BUS_ID",  # numeric ids then mean what nvidia-smi shows
    }


@dataclass(frozen=True)
class GpuRequest:
    """A job waiting for ``count`` GPUs; ``submitted`` sorts in submission order."""

    job_id: str
    owner: str
    count: int
    submitted: str


class GpuQueue:
    """Exclusive, fair assignment of ``devices`` to jobs (thread-safe, no I/O).

    The caller owns the list of waiting jobs (it lives in the job records, so it survives
    restarts) and tells the queue what is held (:meth:`sync`, :meth:`hold`,
    :meth:`release`); :meth:`assign` decides who starts now. See the module docstring for
    the policy.
    """

    def __init__(self, devices: Sequence[Gpu], max_overtakes: int = 2) -> None:
        if max_overtakes < 0:
            raise InvalidSpec("max_overtakes must be >= 0")
        self.devices = tuple(devices)
        self.max_overtakes = max_overtakes
        self._lock = threading.Lock()
        self._held: dict[str, tuple[str, tuple[Gpu, ...]]] = {}  # job -> (owner, devices)
        self._overtaken: dict[str, int] = {}

    @property
    def total(self) -> int:
        return len(self.devices)

    def check(self, count: int) -> None:
        """Refuse a request no state of this machine can satisfy.

        Raises
        ------
        InvalidSpec
            ``count`` is negative or more than the machine has.
        """
        if count < 0:
            raise InvalidSpec(f"a job cannot ask for {count} GPUs")
        if count > self.total:
            have = (f"{self.total} ({', '.join(g.id for g in self.devices)})" if self.total
                    else "none (set c.BigheadApp.local_gpus or $BIGHEAD_LOCAL_GPUS if "
                         "nvidia-smi cannot see them)")
            raise InvalidSpec(f"the job asks for {count} GPU(s) but this machine has {have}")

    # -- what is held ----------------------------------------------------------------
    def hold(self, job_id: str, owner: str, ids: Iterable[str]) -> tuple[Gpu, ...]:
        """Record that ``job_id`` holds ``ids`` (unknown ids are ignored); returns its devices.

        Raises
        ------
        InvalidSpec
            One of the devices is held by another job.
        """
        with self._lock:
            return self._hold(job_id, owner, ids)

    def _hold(self, job_id: str, owner: str, ids: Iterable[str]) -> tuple[Gpu, ...]:
        wanted = set(ids)
        devices = tuple(g for g in self.devices if g.id in wanted)
        for other, (_, theirs) in self._held.items():
            if other != job_id and set(theirs) & set(devices):
                raise InvalidSpec(f"GPU(s) {sorted(g.id for g in set(theirs) & set(devices))} "
                                  f"are held by job {other}")
        self._held[job_id] = (owner, devices)
        return devices

    def release(self, job_id: str) -> tuple[Gpu, ...]:
        """Free what ``job_id`` holds; returns those devices (none if it held nothing)."""
        with self._lock:
            return self._held.pop(job_id, ("", ()))[1]

    def sync(self, holdings: Mapping[str, tuple[str, Iterable[str]]]) -> None:
        """Replace what is held with ``holdings`` (job -> (owner, ids)), e.g. the running
        jobs' records: a finished, failed or cancelled job releases its GPUs by dropping
        out, and a restarted server takes over what its running jobs hold. Of two jobs
        claiming one device the first keeps it."""
        with self._lock:
            self._held = {}
            for job_id, (owner, ids) in holdings.items():
                taken = {g.id for g in self._held_devices()}
                self._hold(job_id, owner, [i for i in ids if i not in taken])

    def holdings(self) -> dict[str, tuple[str, ...]]:
        """Job id -> the ids of the devices it holds."""
        with self._lock:
            return {job: tuple(g.id for g in devices)
                    for job, (_, devices) in self._held.items() if devices}

    def free(self) -> tuple[Gpu, ...]:
        with self._lock:
            held = self._held_devices()
            return tuple(g for g in self.devices if g not in held)

    def _held_devices(self) -> set[Gpu]:
        return {g for _, devices in self._held.values() for g in devices}

    # -- who is next -----------------------------------------------------------------
    def order(self, waiting: Iterable[GpuRequest]) -> list[GpuRequest]:
        """``waiting`` in the order the queue serves it (round-robin by owner)."""
        with self._lock:
            return self._order(waiting)

    def _order(self, waiting: Iterable[GpuRequest]) -> list[GpuRequest]:
        held_by: dict[str, int] = {}
        for owner, devices in self._held.values():
            held_by[owner] = held_by.get(owner, 0) + len(devices)
        mine: dict[str, list[GpuRequest]] = {}
        for request in sorted(waiting, key=lambda r: (r.submitted, r.job_id)):
            mine.setdefault(request.owner, []).append(request)
        keyed = [((rank, held_by.get(owner, 0), jobs[0].submitted, r.submitted, r.job_id), r)
                 for owner, jobs in mine.items() for rank, r in enumerate(jobs)]
        return [r for _, r in sorted(keyed, key=lambda pair: pair[0])]

    def positions(self, waiting: Iterable[GpuRequest]) -> dict[str, int]:
        """Job id -> its place in the queue (1 is next)."""
        return {r.job_id: i for i, r in enumerate(self.order(waiting), start=1)}

    def assign(self, waiting: Iterable[GpuRequest]) -> list[tuple[GpuRequest, tuple[Gpu, ...]]]:
        """Pick the waiting jobs that start now and hold their devices for them.

        Requests for more GPUs than the machine has are skipped (see :meth:`check`); the
        caller should fail those jobs. Returns (request, devices) in start order.
        """
        with self._lock:
            waiting = [r for r in waiting if r.job_id not in self._held]
            self._overtaken = {r.job_id: self._overtaken.get(r.job_id, 0) for r in waiting}
            held = self._held_devices()
            free = [g for g in self.devices if g not in held]
            passed: list[GpuRequest] = []
            started: list[tuple[GpuRequest, tuple[Gpu, ...]]] = []
            for request in self._order(waiting):
                if request.count > self.total or request.count < 1:
                    continue
                if request.count <= len(free):
                    devices, free = tuple(free[:request.count]), free[request.count:]
                    self._held[request.job_id] = (request.owner, devices)
                    for earlier in passed:
                        self._overtaken[earlier.job_id] += 1
                    started.append((request, devices))
                    continue
                passed.append(request)
                if self._overtaken[request.job_id] >= self.max_overtakes:
                    break  # its reservation: nothing behind it starts until it fits
            return started
