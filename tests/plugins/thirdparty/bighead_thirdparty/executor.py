"""An executor that runs each job as a plain subprocess of the bighead worker."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from typing import ClassVar

from jupyter_bighead.config import HOME_ENV, BigheadHome
from jupyter_bighead.errors import InvalidSpec
from jupyter_bighead.jobs.executor import Executor
from jupyter_bighead.jobs.records import JobRecord, now
from jupyter_bighead.jobs.spec import ComputeProfile

from ._proc import adopt, running, terminate


class SubprocessExecutor(Executor):
    """Run each job as ``python -m jupyter_bighead.jobs.worker`` in a session of its own.

    Parameters
    ----------
    nice
        Added to the workers' niceness (0-19).
    """

    name: ClassVar[str] = "thirdparty"
    capabilities: ClassVar[frozenset[str]] = frozenset({"cancel", "logs"})

    def __init__(self, home: BigheadHome | None = None,
                 profiles: Mapping[str, ComputeProfile] | None = None, nice: int = 0) -> None:
        if not 0 <= nice <= 19:
            raise InvalidSpec("nice must be 0-19")
        super().__init__(home, profiles)
        self.nice = nice

    def _launch(self, record: JobRecord, profile: ComputeProfile) -> JobRecord:
        folder = self.store.folder(record.id)
        (folder / "spec.json").write_text(json.dumps(record.spec.to_dict(), indent=2))
        env = {**os.environ, HOME_ENV: str(self.home.root), "BIGHEAD_JOB_ID": record.id,
               "PYTHONUNBUFFERED": "1"}
        nice = self.nice

        def lower_priority() -> None:
            if nice:
                os.nice(nice)

        with (folder / "output.log").open("ab") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "jupyter_bighead.jobs.worker",
                 "--spec", str(folder / "spec.json"), "--out", str(folder)],
                env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True, preexec_fn=lower_priority)
        adopt(proc)
        return self.store.save(record.evolve(state="running", started=now(), pid=proc.pid))

    def _refresh(self, record: JobRecord) -> JobRecord:
        if record.final:
            return record
        result = self.store.result(record.id)
        if result is not None:
            running(record.pid)  # reap it
            return self._finish_from_result(record, result)
        if not running(record.pid):
            result = self.store.result(record.id)
            if result is not None:
                return self._finish_from_result(record, result)
            return self.store.save(record.evolve(state="failed", finished=now(),
                                                 error="the worker exited without a result"))
        return record

    def _stop(self, record: JobRecord) -> None:
        # The worker stops the job's processes on SIGTERM, then exits.
        terminate(record.pid)
