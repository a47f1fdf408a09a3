"""The executor contract: the same behaviour from every backend.

Subclass :class:`ExecutorContract` and override the ``executor`` fixture; build the
executor with the ``bighead_home`` and ``profiles`` fixtures (the tests rely on those
profiles' limits). An executor that needs more than ``home`` and ``profiles`` to be
built also overrides ``executor_factory`` (how a second one is made, as after a server
restart); one registered under a name other than its ``name`` overrides
``plugin_name``. The suite runs real notebooks through the executor, so the machine
needs a ``python3`` Jupyter kernel.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import jupyter_bighead.plugins as plugins

from ..config import BigheadHome
from ..errors import Conflict, InvalidSpec, NotFound
from ..jobs import JobSpec
from ..jobs.executor import Executor
from ..jobs.records import JobRecord
from ..jobs.spec import ComputeProfile
from ._common import check_capabilities, check_registered

#: The profiles the suite's jobs use: a default one, and a "gpu" one that allows one
#: active job per user.
PROFILES = {
    "default": ComputeProfile("default", cpu="2", memory="4Gi", gpu=0,
                              max_concurrent_per_user=3),
    "gpu": ComputeProfile("gpu", cpu="8", memory="32Gi", gpu=1, image="bighead/gpu:latest",
                          node_selector={"accelerator": "nvidia"},
                          tolerations=({"key": "nvidia.com/gpu", "operator": "Exists",
                                        "effect": "NoSchedule"},),
                          max_concurrent_per_user=1),
}


def write_notebook(path: Path, cells: list[tuple[str, tuple[str, ...]]]) -> Path:
    """Write a python3 notebook of code cells ``(source, tags)``."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    nb = new_notebook(cells=[new_code_cell(src, metadata={"tags": list(tags)} if tags else {})
                             for src, tags in cells])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def process_leftovers(record: JobRecord) -> list[Any]:
    """Command lines of this machine's processes that mention the job's id."""
    import psutil

    return [p.info["cmdline"] for p in psutil.process_iter(["cmdline"])
            if record.id in " ".join(p.info["cmdline"] or [])]


def assert_nothing_left(executor: Executor, record: JobRecord, extra: Any = None,
                        timeout: float = 30.0) -> None:
    """Nothing of the run survives a cancel or a failure: no process mentioning the job
    on this machine, nothing ``extra(record)`` lists (a cluster's objects), and no live
    worker at the recorded pid of a job that ran here."""
    import psutil

    deadline = time.monotonic() + timeout
    while True:
        time.sleep(0.5)
        leftovers = process_leftovers(record) + (list(extra(record)) if extra else [])
        if not leftovers or time.monotonic() > deadline:
            break
    assert leftovers == []
    if record.pid and not plugins.has_capability(executor, "remote"):
        assert (not psutil.pid_exists(record.pid)
                or psutil.Process(record.pid).status() == "zombie")


class ExecutorContract:
    """Submit, wait, fail, cancel, list, restart and refuse, as every executor must."""

    #: Seconds a small notebook may take (a kernel start on a busy machine).
    job_timeout: float = 180.0

    @pytest.fixture
    def executor(self, bighead_home: BigheadHome, profiles: dict[str, ComputeProfile]
                 ) -> Executor:
        """The executor under test: override in the subclass."""
        raise NotImplementedError("override the `executor` fixture in your ExecutorContract")

    @pytest.fixture
    def executor_factory(self, executor: Executor) -> Callable[[BigheadHome], Executor]:
        """Builds another executor like the one under test on a home, as after a server
        restart. Default: ``type(executor)(home=home, profiles=executor.profiles)``;
        override when the executor needs other options to be built."""
        def build(home: BigheadHome) -> Executor:
            return type(executor)(home=home, profiles=executor.profiles)

        return build

    @pytest.fixture
    def plugin_name(self, executor: Executor) -> str:
        """The name the executor is registered under (built-in or entry point).
        Default: its ``name``."""
        return executor.name

    def leftovers(self, executor: Executor, record: JobRecord) -> list[Any]:
        """What of a run is left outside this machine's processes (override for a
        remote backend: its cluster objects)."""
        return []

    @pytest.fixture
    def bighead_home(self, tmp_path: Path) -> BigheadHome:
        return BigheadHome(tmp_path / "home")

    @pytest.fixture
    def profiles(self) -> dict[str, ComputeProfile]:
        return dict(PROFILES)

    @pytest.fixture
    def notebooks(self, tmp_path: Path) -> Path:
        folder = tmp_path / "nbs"
        write_notebook(folder / "train.ipynb", [
            ("alpha = 0.5\nrounds = 2", ("parameters",)),
            ("from jupyter_bighead.jobs import log_metric\n"
             "score = alpha * rounds\nlog_metric('score', score)\nprint('score is', score)", ()),
        ])
        write_notebook(folder / "fails.ipynb", [("x = 1", ()),
                                                ("raise RuntimeError('bad input data')", ())])
        write_notebook(folder / "slow.ipynb", [("import time\nprint('started', flush=True)\n"
                                                "time.sleep(120)", ())])
        return folder

    @pytest.fixture(autouse=True)
    def _no_job_outlives_its_test(self, executor: Executor) -> Iterator[None]:
        yield
        for record in executor.list(limit=10_000):
            if not record.final:
                executor.cancel(record.id)
        executor.close()

    def _nothing_left(self, executor: Executor, record: JobRecord) -> None:
        assert_nothing_left(executor, record, lambda r: self.leftovers(executor, r))

    # -- the contract ----------------------------------------------------------------
    def test_it_is_found_by_its_name_and_declares_known_capabilities(self, executor,
                                                                     plugin_name):
        assert isinstance(executor, Executor)
        assert isinstance(executor.name, str) and executor.name != "abstract"
        check_registered("executor", plugin_name, type(executor))
        check_capabilities("executor", executor)

    def test_submit_runs_a_real_notebook_to_completion_with_parameters(self, executor,
                                                                        notebooks):
        record = executor.submit(JobSpec(notebook=str(notebooks / "train.ipynb"),
                                         parameters={"alpha": 2.0}))
        assert record.state in ("queued", "running")
        done = executor.wait(record.id, timeout=self.job_timeout)
        assert done.state == "succeeded", done.error
        assert done.metrics == {"score": 4.0}
        import nbformat

        executed = nbformat.read(done.outputs["executed_notebook"], as_version=4)
        text = "".join(o.get("text", "") for c in executed.cells for o in c.get("outputs", []))
        assert "score is 4.0" in text
        assert done.environment["packages_sha256"]
        assert done.environment["kernel"] == "python3"
        assert "score is 4.0" in "".join(executor.logs(record.id)) or done.outputs

    def test_a_failing_notebook_is_reported_with_its_error(self, executor, notebooks):
        record = executor.submit(JobSpec(notebook=str(notebooks / "fails.ipynb")))
        done = executor.wait(record.id, timeout=self.job_timeout)
        assert done.state == "failed"
        assert "RuntimeError" in done.error and "bad input data" in done.error
        self._nothing_left(executor, done)

    def test_cancel_stops_a_running_job_and_leaves_nothing_behind(self, executor, notebooks):
        record = executor.submit(JobSpec(notebook=str(notebooks / "slow.ipynb")))
        deadline = time.monotonic() + 120
        while ("started" not in "".join(executor.logs(record.id))
               and time.monotonic() < deadline):
            time.sleep(0.3)
        cancelled = executor.cancel(record.id)
        assert cancelled.state == "cancelled"
        assert executor.status(record.id).state == "cancelled"
        self._nothing_left(executor, cancelled)

    def test_list_and_status_know_every_submitted_job(self, executor, notebooks):
        a = executor.submit(JobSpec(notebook=str(notebooks / "train.ipynb"), name="first"))
        b = executor.submit(JobSpec(notebook=str(notebooks / "train.ipynb"), name="second"))
        ids = [r.id for r in executor.list()]
        assert ids.index(b.id) < ids.index(a.id)  # newest first
        assert executor.wait(a.id, self.job_timeout).state == "succeeded"
        assert executor.wait(b.id, self.job_timeout).state == "succeeded"
        with pytest.raises(NotFound):
            executor.status("no-such-job-123")

    def test_state_survives_an_executor_restart(self, executor, notebooks, executor_factory):
        record = executor.submit(JobSpec(notebook=str(notebooks / "train.ipynb")))
        fresh = executor_factory(executor.home)
        try:
            assert fresh.status(record.id).id == record.id
            assert fresh.wait(record.id, self.job_timeout).state == "succeeded"
        finally:
            fresh.close()

    @pytest.mark.parametrize(
        "spec,error,match",
        [
            ({"profile": "huge"}, InvalidSpec, "unknown compute profile 'huge'"),
            ({"resources": {"gpu": 2}, "profile": "gpu"}, InvalidSpec, "exceeds profile 'gpu'"),
            ({"resources": {"memory": "64Gi"}}, InvalidSpec, "exceeds profile 'default'"),
            ({"notebook": "missing.ipynb"}, NotFound, "does not exist"),
            ({"parameters": {"nope": 1}}, InvalidSpec,
             r"\['nope'\] are not in the parameters cell"),
        ],
    )
    def test_bad_submissions_get_clear_errors_and_create_nothing(self, executor, notebooks,
                                                                 spec, error, match):
        values = {"notebook": str(notebooks / "train.ipynb"), **spec}
        with pytest.raises(error, match=match):
            executor.submit(JobSpec(**values))
        assert executor.list() == []

    def test_per_user_concurrency_limit_of_a_profile(self, executor, notebooks):
        first = executor.submit(JobSpec(notebook=str(notebooks / "slow.ipynb"), profile="gpu"))
        with pytest.raises(Conflict, match="limit 1"):
            executor.submit(JobSpec(notebook=str(notebooks / "slow.ipynb"), profile="gpu"))
        executor.cancel(first.id)
        second = executor.submit(JobSpec(notebook=str(notebooks / "train.ipynb"),
                                         profile="gpu"))
        assert executor.wait(second.id, self.job_timeout).state == "succeeded"

    def test_declared_schedules_are_listed_and_removed(self, executor, notebooks):
        if not plugins.has_capability(executor, "schedules"):
            pytest.skip(f"the {executor.name} executor declares no schedules")
        spec = JobSpec(notebook=str(notebooks / "train.ipynb"), schedule="0 3 * * *",
                       name="nightly")
        created = executor.schedule(spec)
        names = [item["name"] for item in executor.schedules()]
        assert created["name"] in names
        executor.unschedule(created["name"])
        assert created["name"] not in [item["name"] for item in executor.schedules()]
