"""``/bighead/api/jobs`` and ``/bighead/api/profiles``: submit, list, status, logs, cancel."""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado import web

from jupyter_bighead.errors import InvalidSpec

from ..threads import in_thread
from .base import BigheadHandler

#: The largest page of a job's log one request returns (like deployment logs).
LOG_PAGE_BYTES = 1024 * 1024


class ProfilesHandler(BigheadHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        """The compute profiles the admin store holds now (cpu, memory, gpu, image...):
        read at each request, so a profile an admin adds is listed at once."""
        store = self.bighead.admin()
        profiles = await in_thread(store.profiles)
        self.write_json({"executor": self.bighead.config.executor,
                         "profiles": [p.to_dict() for p in profiles.values()]})


class JobsHandler(BigheadHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        """``?limit=&offset=&state=``: jobs, newest first."""
        limit = self.int_argument("limit", 50) or 50
        if not 1 <= limit <= 1000:
            raise InvalidSpec("limit must be 1-1000")
        records = await in_thread(
            self.bighead.jobs().list, limit=limit, offset=self.int_argument("offset", 0) or 0,
            state=self.get_argument("state", None) or None,
        )
        self.write_json({"items": [self.bighead.job_view(r) for r in records]})

    @web.authenticated
    @authorized
    async def post(self) -> None:
        """Submit a JobSpec (``notebook`` relative to the server root); 201 with the record."""
        body = self.get_json_object()
        result = await in_thread(self.bighead.submit_job, body, self.username())
        self.write_json(result, status=201)


class JobHandler(BigheadHandler):
    @web.authenticated
    @authorized
    async def get(self, job_id: str) -> None:
        """One job's record: state, times, resources, metrics, outputs, environment."""
        record = await in_thread(self.bighead.jobs().status, job_id)
        self.write_json(self.bighead.job_view(record))


class JobLogsHandler(BigheadHandler):
    @web.authenticated
    @authorized
    async def get(self, job_id: str) -> None:
        """``?offset=N&limit=M``: at most M bytes of log (default and most: 1 MiB) from
        byte N on; poll with the returned offset to follow. ``more`` says whether more
        has been written already; ``final`` only once the job is over and read to the
        end."""
        offset = self.int_argument("offset", 0) or 0
        limit = self.int_argument("limit", LOG_PAGE_BYTES) or LOG_PAGE_BYTES
        if offset < 0:
            raise InvalidSpec("offset must be >= 0")
        if not 1 <= limit <= LOG_PAGE_BYTES:
            raise InvalidSpec(f"limit must be from 1 to {LOG_PAGE_BYTES} bytes")
        executor = self.bighead.jobs()
        # The state first: a job final now has written all its log before this read.
        final = (await in_thread(executor.status, job_id)).final
        text, new_offset = await in_thread(executor.read_log, job_id, offset, limit)
        more = new_offset < await in_thread(executor.log_size, job_id)
        self.write_json({"text": text, "offset": new_offset, "more": more,
                         "final": final and not more})


class JobCancelHandler(BigheadHandler):
    @web.authenticated
    @authorized
    async def post(self, job_id: str) -> None:
        """Stop the job and everything it started (its owner's or an admin's to stop)."""
        if self.bighead.roles.configured:
            owner = (await in_thread(self.bighead.jobs().status, job_id)).user
            self.require_owner(owner, doing=f"cancel the job {job_id}")
        record = await in_thread(self.bighead.jobs().cancel, job_id)
        self.write_json(self.bighead.job_view(record))


class JobRerunHandler(BigheadHandler):
    @web.authenticated
    @authorized
    async def post(self, job_id: str) -> None:
        """Submit the same spec again (checked as a new job would be); 201 with the new
        record."""
        result = await in_thread(self.bighead.rerun_job, job_id, self.username())
        self.write_json(result, status=201)


class SchedulesHandler(BigheadHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        """Every schedule of the configured executor."""
        self.write_json(await in_thread(self.bighead.schedules))

    @web.authenticated
    @authorized
    async def post(self) -> None:
        """A JobSpec with ``schedule`` (cron, UTC); ``productionize`` as for jobs. 201."""
        body = self.get_json_object()
        result = await in_thread(self.bighead.schedule_job, body, self.username())
        self.write_json(result, status=201)


class ScheduleHandler(BigheadHandler):
    @web.authenticated
    @authorized
    async def delete(self, name: str) -> None:
        """Delete the schedule (its maker's or an admin's); runs already submitted go on."""
        if self.bighead.roles.configured:
            exists, owner = await in_thread(self.bighead.schedule_owner, name)
            if exists:
                self.require_owner(owner, doing=f"delete the schedule {name!r}")
        await in_thread(self.bighead.unschedule, name)
        self.write_json({"deleted": name})


class SweepsHandler(BigheadHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        """``?limit=&offset=``: sweeps (default 50, at most 1000), newest first, with
        their trials so far."""
        limit = self.int_argument("limit", 50) or 50
        if not 1 <= limit <= 1000:
            raise InvalidSpec("limit must be 1-1000")
        offset = self.int_argument("offset", 0) or 0
        if offset < 0:
            raise InvalidSpec("offset must be >= 0")
        self.write_json({"items": await in_thread(self.bighead.sweeps().list, limit=limit,
                                                  offset=offset)})

    @web.authenticated
    @authorized
    async def post(self) -> None:
        """A JobSpec plus ``space``, ``strategy``, ``n``, ``max_parallel``, ``metric``,
        ``mode``, ``model`` and ``alias``; the sweep runs in the background. 202."""
        body = self.get_json_object()
        state = await in_thread(self.bighead.start_sweep, body, self.username())
        self.write_json(state, status=202)


class SweepHandler(BigheadHandler):
    @web.authenticated
    @authorized
    async def get(self, sweep_id: str) -> None:
        """One sweep: state, trials with their metric, best trial, registered version."""
        self.write_json(await in_thread(self.bighead.sweeps().get, sweep_id))
