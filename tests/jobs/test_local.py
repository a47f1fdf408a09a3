"""What only the local executor does: queueing, orphan detection."""

from __future__ import annotations

import os
import signal
import time

from jupyter_bighead.jobs import JobSpec

from .conftest import make_local


def test_jobs_beyond_the_concurrency_limit_wait_queued(tmp_path, notebooks):
    ex = make_local(tmp_path, max_concurrent=1)
    slow = ex.submit(JobSpec(notebook=str(notebooks / "slow.ipynb")))
    quick = ex.submit(JobSpec(notebook=str(notebooks / "train.ipynb")))
    assert ex.status(slow.id).state == "running"
    assert ex.status(quick.id).state == "queued"
    ex.cancel(slow.id)
    assert ex.wait(quick.id, 180).state == "succeeded"


def test_a_worker_that_vanishes_is_marked_failed(tmp_path, notebooks):
    ex = make_local(tmp_path)
    record = ex.submit(JobSpec(notebook=str(notebooks / "slow.ipynb")))
    running = ex.status(record.id)
    os.killpg(running.pid, signal.SIGKILL)  # as if the machine or server died under it
    deadline = time.monotonic() + 30
    while ex.status(record.id).state == "running" and time.monotonic() < deadline:
        time.sleep(0.2)
    failed = ex.status(record.id)
    assert failed.state == "failed"
    assert "disappeared" in failed.error


def test_submit_to_running_is_fast(tmp_path, notebooks):
    # Not a timing benchmark: a generous bound that only catches a broken fast path.
    ex = make_local(tmp_path)
    start = time.monotonic()
    record = ex.submit(JobSpec(notebook=str(notebooks / "train.ipynb")))
    assert record.state == "running"
    assert time.monotonic() - start < 10
    ex.wait(record.id, 180)


def test_a_production_notebook_runs_in_its_source_folder(tmp_path):
    from jupyter_bighead.notebooks import productionize

    from ..notebooks.helpers import code, proto, write_nb

    src = write_nb(tmp_path / "work" / "nb.ipynb", [
        code("import pathlib\nprint(pathlib.Path('data.txt').read_text())"),
        proto("print('exploring')"),
    ])
    (tmp_path / "work" / "data.txt").write_text("relative data found")
    prod = productionize(src).notebook
    ex = make_local(tmp_path)
    done = ex.wait(ex.submit(JobSpec(notebook=str(prod))).id, 180)
    assert done.state == "succeeded", done.error
    assert "relative data found" in "".join(ex.logs(done.id))
