"""The executor contract: the same behaviour from every backend."""

from __future__ import annotations

import time

import nbformat
import pytest

from jupyter_bighead.errors import Conflict, InvalidSpec, NotFound
from jupyter_bighead.jobs import JobSpec


def test_submit_runs_a_real_notebook_to_completion_with_parameters(executor, notebooks):
    record = executor.submit(JobSpec(notebook=str(notebooks / "train.ipynb"),
                                     parameters={"alpha": 2.0}))
    assert record.state in ("queued", "running")
    done = executor.wait(record.id, timeout=180)
    assert done.state == "succeeded", done.error
    assert done.metrics == {"score": 4.0}
    executed = nbformat.read(done.outputs["executed_notebook"], as_version=4)
    text = "".join(o.get("text", "") for c in executed.cells for o in c.get("outputs", []))
    assert "score is 4.0" in text
    assert done.environment["packages_sha256"]
    assert done.environment["kernel"] == "python3"
    assert "score is 4.0" in "".join(executor.logs(record.id)) or done.outputs


def test_a_failing_notebook_is_reported_with_its_error(executor, notebooks):
    record = executor.submit(JobSpec(notebook=str(notebooks / "fails.ipynb")))
    done = executor.wait(record.id, timeout=180)
    assert done.state == "failed"
    assert "RuntimeError" in done.error and "bad input data" in done.error
    assert_nothing_left(executor, done)


def test_cancel_stops_a_running_job_and_leaves_nothing_behind(executor, notebooks):
    record = executor.submit(JobSpec(notebook=str(notebooks / "slow.ipynb")))
    deadline = time.monotonic() + 120
    while "started" not in "".join(executor.logs(record.id)) and time.monotonic() < deadline:
        time.sleep(0.3)
    cancelled = executor.cancel(record.id)
    assert cancelled.state == "cancelled"
    assert executor.status(record.id).state == "cancelled"
    assert_nothing_left(executor, cancelled)


def assert_nothing_left(executor, record):
    """Nothing of the run survives a cancel or a failure: no process (every backend);
    on Kubernetes also no Job, Pod or ConfigMap labelled with the job's id."""
    import psutil

    deadline = time.monotonic() + 30
    while True:
        time.sleep(0.5)
        leftovers = [p.info["cmdline"] for p in psutil.process_iter(["cmdline"])
                     if record.id in " ".join(p.info["cmdline"] or [])]
        if executor.name == "kubernetes":
            leftovers += executor.leftovers(record.id, record.backend["namespace"])
        if not leftovers or time.monotonic() > deadline:
            break
    assert leftovers == []
    if executor.name == "local":
        assert (not psutil.pid_exists(record.pid)
                or psutil.Process(record.pid).status() == "zombie")


def test_list_and_status_know_every_submitted_job(executor, notebooks):
    a = executor.submit(JobSpec(notebook=str(notebooks / "train.ipynb"), name="first"))
    b = executor.submit(JobSpec(notebook=str(notebooks / "train.ipynb"), name="second"))
    ids = [r.id for r in executor.list()]
    assert ids.index(b.id) < ids.index(a.id)  # newest first
    assert executor.wait(a.id, 180).state == "succeeded"
    assert executor.wait(b.id, 180).state == "succeeded"
    with pytest.raises(NotFound):
        executor.status("no-such-job-123")


def test_state_survives_an_executor_restart(executor, notebooks):
    record = executor.submit(JobSpec(notebook=str(notebooks / "train.ipynb")))
    fresh = type(executor)(home=executor.home, profiles=executor.profiles)
    assert fresh.status(record.id).id == record.id
    assert fresh.wait(record.id, 180).state == "succeeded"


@pytest.mark.parametrize(
    "spec,error,match",
    [
        ({"profile": "huge"}, InvalidSpec, "unknown compute profile 'huge'"),
        ({"resources": {"gpu": 2}, "profile": "gpu"}, InvalidSpec, "exceeds profile 'gpu'"),
        ({"resources": {"memory": "64Gi"}}, InvalidSpec, "exceeds profile 'default'"),
        ({"notebook": "missing.ipynb"}, NotFound, "does not exist"),
        ({"parameters": {"nope": 1}}, InvalidSpec, r"\['nope'\] are not in the parameters cell"),
    ],
)
def test_bad_submissions_get_clear_errors_and_create_nothing(executor, notebooks, spec, error,
                                                             match):
    values = {"notebook": str(notebooks / "train.ipynb"), **spec}
    with pytest.raises(error, match=match):
        executor.submit(JobSpec(**values))
    assert executor.list() == []


def test_a_malformed_schedule_is_refused():
    with pytest.raises(InvalidSpec, match="cron hour '25'"):
        JobSpec(notebook="x.ipynb", schedule="0 25 * * *")


def test_per_user_concurrency_limit_of_a_profile(executor, notebooks):
    first = executor.submit(JobSpec(notebook=str(notebooks / "slow.ipynb"), profile="gpu"))
    with pytest.raises(Conflict, match="limit 1"):
        executor.submit(JobSpec(notebook=str(notebooks / "slow.ipynb"), profile="gpu"))
    executor.cancel(first.id)
    second = executor.submit(JobSpec(notebook=str(notebooks / "train.ipynb"), profile="gpu"))
    assert executor.wait(second.id, 180).state == "succeeded"
