"""The Executor ABC, shared submit-time checks, and the registry of backends.

Backends are found by name through :mod:`jupyter_bighead.plugins` (family
``"executor"``): the built-ins (``local``, ``kubernetes``) and any registered under the
entry-point group ``jupyter_bighead.executors``. What a backend can do beyond the ABC
(schedules, GPUs, ...) it declares in ``capabilities``; ask
:func:`jupyter_bighead.plugins.has_capability`.
"""

from __future__ import annotations

import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, ClassVar

import jupyter_bighead.admin as admin
import jupyter_bighead.plugins as plugins

from ..config import BigheadHome
from ..errors import Conflict, InvalidSpec, NotFound
from ..identity import current_user
from ..roles import check_acting_as, require_current, require_owner_current
from .records import FINAL, JobRecord, JobStore, new_job_id
from .spec import ComputeProfile, JobSpec, check_within_profile, cluster_plan

ENTRY_POINT_GROUP = plugins.FAMILIES["executor"].group


class Executor(ABC):
    """Runs jobs somewhere. Subclasses implement ``_launch``, ``_refresh`` and ``_stop``.

    ``profiles``: the compute profiles jobs may ask for. ``None`` (the default): the
    admin store's of ``home`` (:class:`jupyter_bighead.admin.AdminSettings`, or the
    built-in ``default`` without one), read at each lookup, so an admin's edit applies
    to the next submit; a mapping is kept as given. Quotas always come from the store.
    """

    name: ClassVar[str] = "abstract"
    #: What it can do beyond the ABC: see ``plugins.CAPABILITY_HELP["executor"]``.
    capabilities: ClassVar[frozenset[str]] = frozenset()

    def __init__(
        self,
        home: BigheadHome | None = None,
        profiles: Mapping[str, ComputeProfile] | None = None,
    ) -> None:
        self.home = (home or BigheadHome.resolve()).ensure()
        self.store = JobStore(self.home.jobs)
        #: The admin store of this home: its quotas, and its profiles unless given.
        self.admin = admin.AdminSettings(self.home)
        # No profiles given: the store's, read at each lookup, so an admin's new profile
        # is usable at once. A mapping given (the Python API, tests) is kept as given.
        self.profiles: Mapping[str, ComputeProfile] = (
            profiles if isinstance(profiles, admin.LiveProfiles)
            else admin.LiveProfiles(self.admin) if profiles is None
            else dict(profiles or admin.DEFAULT_PROFILES))
        # Counting a user's active jobs and saving the new one is one step, so that
        # concurrent submissions cannot both slip under max_concurrent_per_user.
        self._submit_lock = threading.Lock()

    # -- the contract ---------------------------------------------------------------
    def submit(self, spec: JobSpec, user: str | None = None) -> JobRecord:
        """Check ``spec`` and start it (or queue it). Returns the new record.

        Raises
        ------
        InvalidSpec
            Unknown profile, resources over the profile, parameters the notebook does
            not declare.
        NotFound
            The notebook does not exist.
        Conflict
            The user already runs as many jobs on that profile as it allows.
        QuotaExceeded
            The job would take the user over their quota (see
            :mod:`jupyter_bighead.admin.quotas`): running jobs or GPUs held.
        MissingRole
            Under a team's roles, the current user may not write (a viewer).
        """
        require_current("write", doing="submit a job")  # a viewer's kernel: refused
        check_acting_as(user)
        user = user or current_user()
        if spec.schedule is not None:
            how = (f"{type(self).__name__}.schedule()"
                   if plugins.has_capability(self, "schedules")
                   else f"an executor with schedules (the {self.name} executor has none)")
            raise InvalidSpec(f"submit runs a job once; a schedule ({spec.schedule!r}) "
                              f"needs {how}")
        spec = self._resolve_notebook(spec)
        profile = self.profile(spec.profile)
        resources = check_within_profile(spec, profile)
        cluster = self.cluster_plan(spec)
        with self._submit_lock:
            mine = [r for r in self.list(limit=10_000) if not r.final and r.user == user]
            check_quota(self.admin.quota_for(user), user, mine, int(resources.get("gpu") or 0))
            active = [r for r in mine if r.spec.profile == profile.name]
            if len(active) >= profile.max_concurrent_per_user:
                raise Conflict(f"{user} already has {len(active)} active job(s) on profile "
                               f"{profile.name!r} (limit {profile.max_concurrent_per_user})")
            record = JobRecord(id=new_job_id(spec), spec=spec, executor=self.name, user=user,
                               resources=resources, cluster=cluster)
            self.store.save(record)
        return self._launch(record, profile)

    def status(self, job_id: str) -> JobRecord:
        """The job's current record. Raises NotFound for an unknown id."""
        return self._refresh(self.store.load(job_id))

    def list(self, limit: int = 50, offset: int = 0, state: str | None = None) -> list[JobRecord]:
        """This executor's jobs, newest first."""
        records = [r for r in self.store.all() if r.executor == self.name]
        if not state:  # bring only the page asked for up to date
            return [self._refresh(r) for r in records[offset: offset + limit]]
        records = [r if r.final else self._refresh(r) for r in records]
        return [r for r in records if r.state == state][offset: offset + limit]

    def cancel(self, job_id: str) -> JobRecord:
        """Stop the job and everything it started; a finished job is returned unchanged.

        In a team (``$BIGHEAD_ROLES``), only its owner or an admin may."""
        record = self.status(job_id)
        require_owner_current(record.user, doing=f"cancel the job {job_id}")
        if record.final:
            return record
        self._stop(record)
        return self.store.save(record.evolve(state="cancelled", finished=_now(),
                                             error="cancelled by user"))

    def logs(self, job_id: str, follow: bool = False, poll: float = 0.5) -> Iterator[str]:
        """The job's output, chunk by chunk; with ``follow``, until the job is final."""
        offset = 0
        while True:
            text, offset = self.read_log(job_id, offset)
            if text:
                yield text
            if not follow or self.status(job_id).final:
                text, offset = self.read_log(job_id, offset)
                if text:
                    yield text
                return
            time.sleep(poll)

    def read_log(self, job_id: str, offset: int = 0,
                 limit: int | None = None) -> tuple[str, int]:
        """Log text from byte ``offset`` on (at most ``limit`` bytes), and the offset to
        continue from.

        A page never ends inside a UTF-8 character: its last incomplete bytes are left
        for the next page.
        """
        path = self.store.folder(job_id) / "output.log"
        if not path.exists():
            self.store.load(job_id)  # NotFound for an unknown job
            return "", offset
        with path.open("rb") as fh:
            fh.seek(offset)
            data = fh.read() if limit is None else fh.read(limit)
        if limit is not None and len(data) == limit:
            data = data[:_utf8_boundary(data)]
        return data.decode("utf-8", errors="replace"), offset + len(data)

    def log_size(self, job_id: str) -> int:
        """How many bytes of log the job has written so far."""
        try:
            return (self.store.folder(job_id) / "output.log").stat().st_size
        except FileNotFoundError:
            return 0

    def wait(self, job_id: str, timeout: float = 600, poll: float = 0.2) -> JobRecord:
        """Block until the job is final (or ``timeout`` seconds pass); return its record."""
        deadline = time.monotonic() + timeout
        while True:
            record = self.status(job_id)
            if record.final or time.monotonic() > deadline:
                return record
            time.sleep(poll)

    def close(self) -> None:  # noqa: B027 - optional hook, a no-op by default
        """Stop the executor's own threads (a scheduler, a watcher); jobs keep running.
        The server calls it when it stops. Idempotent."""

    def cluster_plan(self, spec: JobSpec) -> dict[str, Any]:
        """The Dask cluster ``spec`` asks for, resolved against the profiles (``{}`` for
        none).

        Raises
        ------
        InvalidSpec
            An unknown cluster profile, or an executor that cannot start clusters.
        """
        if not spec.cluster:
            return {}
        if not plugins.has_capability(self, "dask_cluster"):
            raise InvalidSpec(f"the {self.name} executor cannot start a Dask cluster for a "
                              "job; leave out 'cluster' or use the local or kubernetes executor")
        name = spec.cluster.get("profile") or spec.profile
        try:
            profile = self.profiles[name]
        except KeyError:
            raise InvalidSpec(f"unknown compute profile {name!r} for the job's cluster; "
                              f"profiles: {', '.join(sorted(self.profiles))}") from None
        return cluster_plan(spec, profile)

    def profile(self, name: str) -> ComputeProfile:
        try:
            return self.profiles[name]
        except KeyError:
            raise InvalidSpec(f"unknown compute profile {name!r}; profiles: "
                              f"{', '.join(sorted(self.profiles))}") from None

    # -- for subclasses --------------------------------------------------------------
    @abstractmethod
    def _launch(self, record: JobRecord, profile: ComputeProfile) -> JobRecord:
        """Start (or queue) the run of a freshly saved record; return the saved record."""

    @abstractmethod
    def _refresh(self, record: JobRecord) -> JobRecord:
        """Bring a record up to date with the backend (final records come back as they are)."""

    @abstractmethod
    def _stop(self, record: JobRecord) -> None:
        """Stop a queued or running job and release everything it holds."""

    def _finish_from_result(self, record: JobRecord, result: Mapping[str, Any]) -> JobRecord:
        state = result.get("state") if result.get("state") in FINAL else "failed"
        outputs = dict(record.outputs)
        outputs.update(result.get("outputs") or {})
        return self.store.save(record.evolve(
            state=state, finished=result.get("finished") or _now(),
            error=result.get("error"), metrics=dict(result.get("metrics") or {}),
            environment=dict(result.get("environment") or {}), outputs=outputs,
        ))

    def _resolve_notebook(self, spec: JobSpec) -> JobSpec:
        if spec.notebook is None:
            return spec
        from ..notebooks.productionize import read_notebook

        path = Path(spec.notebook).expanduser().resolve()
        if not path.is_file():
            raise NotFound(f"notebook {spec.notebook} does not exist")
        # Refuse what is no notebook now (InvalidSpec), not as a failed run later.
        nb = read_notebook(path)
        if spec.parameters:
            _check_parameters(nb, path.name, spec.parameters)
        from dataclasses import replace

        return replace(spec, notebook=str(path))


def check_quota(quota: admin.Quota, user: str, active: list[JobRecord], gpus: int) -> None:
    """Refuse a new job of ``user`` asking for ``gpus`` GPUs when ``active`` (the user's
    jobs not final) already reach their quota of running jobs or GPUs.

    Raises
    ------
    QuotaExceeded
        Naming the quota, its limit and the usage.
    """
    admin.check(quota, user, "max_running_jobs", len(active))
    held = sum(int((r.resources or {}).get("gpu") or 0) for r in active)
    admin.check(quota, user, "max_gpus", held, requested=gpus)


def _check_parameters(nb: Any, filename: str, parameters: Mapping[str, Any]) -> None:
    from ..notebooks.module import parameters_from
    from ..notebooks.tags import is_parameters

    cells = [(i, c) for i, c in enumerate(nb.cells) if is_parameters(c)]
    if not cells:
        raise InvalidSpec(f"parameters {sorted(parameters)} were given but {filename} has "
                          "no cell tagged 'parameters'")
    declared, _ = parameters_from(cells[0][1], cells[0][0])
    unknown = sorted(set(parameters) - set(declared))
    if unknown:
        raise InvalidSpec(f"parameters {unknown} are not in the parameters cell of {filename} "
                          f"(it declares {sorted(declared)})")


def _now() -> str:
    from .records import now

    return now()


def executor_class(name: str) -> type[Executor]:
    """The executor class registered under ``name``.

    Raises
    ------
    InvalidSpec
        If no built-in or entry-point executor has that name.
    """
    found: type[Executor] = plugins.load("executor", name)
    return found


def executor_names() -> list[str]:
    """Every executor name: the built-ins and the entry points (nothing imported)."""
    return plugins.names("executor")


def get_executor(name: str = "local", **options: Any) -> Executor:
    """An executor instance by name (see :func:`executor_class`).

    Raises
    ------
    InvalidSpec
        If no executor has that name, or it does not take ``options``.
    """
    found: Executor = plugins.create("executor", name, options)
    return found


def _utf8_boundary(data: bytes) -> int:
    """The length of ``data`` without a trailing, incomplete UTF-8 character."""
    for back in range(1, min(4, len(data)) + 1):
        byte = data[-back]
        if byte < 0x80:  # ASCII: complete
            return len(data)
        if byte >= 0xC0:  # a lead byte: complete only if all its continuation bytes are here
            need = 2 if byte < 0xE0 else 3 if byte < 0xF0 else 4
            return len(data) if back >= need else len(data) - back
    return len(data)  # not UTF-8 anyway: decoding replaces it
