"""Local schedules: cron matching and the scheduler submitting due runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from jupyter_bighead.errors import Conflict, InvalidSpec, NotFound
from jupyter_bighead.jobs import JobSpec
from jupyter_bighead.jobs.schedules import cron_matches

from .conftest import make_local

FRIDAY_3AM = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "expr,expected",
    [("0 3 * * *", True), ("*/15 * * * *", True), ("5 3 * * *", False),
     ("0 3 * * fri", True), ("0 3 * * mon", False), ("0 3 27 * mon", True),
     ("0 3 1 * mon", False), ("@hourly", True), ("0 1-5/2 * * *", True),
     ("0 2-4/2 * * *", False), ("0 3 * nov *", True), ("0 3 * 1-10 *", False),
     ("0 3 * * 5", True), ("0 3 * * 0,6", False)],
)
def test_cron_matching(expr, expected):
    assert cron_matches(expr, FRIDAY_3AM) is expected


def test_a_schedule_submits_one_run_per_due_minute(tmp_path, notebooks):
    ex = make_local(tmp_path)
    item = ex.schedule(JobSpec(notebook=str(notebooks / "train.ipynb"), schedule="*/5 * * * *",
                               name="nightly"))
    assert item["name"] == "nightly" and ex.schedules()[0]["schedule"] == "*/5 * * * *"
    created = datetime.fromisoformat(item["created"])
    nxt = created + timedelta(minutes=5 - created.minute % 5)  # the next */5 minute
    if nxt - created > timedelta(minutes=1):
        assert ex.tick(nxt - timedelta(seconds=30)) == []  # nothing due before it
    runs = ex.tick(nxt + timedelta(seconds=10))
    assert len(runs) == 1
    assert runs[0].spec.labels["schedule"] == "nightly" and runs[0].spec.schedule is None
    assert ex.tick(nxt + timedelta(seconds=40)) == []  # the same minute never runs twice
    assert ex.wait(runs[0].id, 180).state == "succeeded"
    ex.unschedule("nightly")
    assert ex.schedules() == []
    with pytest.raises(NotFound):
        ex.unschedule("nightly")


def test_missed_minutes_collapse_into_one_run(tmp_path, notebooks):
    ex = make_local(tmp_path)
    ex.schedule(JobSpec(notebook=str(notebooks / "train.ipynb"), schedule="* * * * *"))
    runs = ex.tick(datetime.now(UTC) + timedelta(minutes=30))
    assert len(runs) == 1
    ex.wait(runs[0].id, 180)


def test_bad_schedules_are_refused(tmp_path, notebooks):
    ex = make_local(tmp_path)
    nb = str(notebooks / "train.ipynb")
    with pytest.raises(InvalidSpec, match="cron"):
        ex.schedule(JobSpec(notebook=nb))
    with pytest.raises(InvalidSpec, match="cron minute"):
        JobSpec(notebook=nb, schedule="99 * * * *")
    with pytest.raises(InvalidSpec, match="unknown compute profile"):
        ex.schedule(JobSpec(notebook=nb, schedule="@daily", profile="nope"))
    ex.schedule(JobSpec(notebook=nb, schedule="@daily", name="x"))
    with pytest.raises(Conflict):
        ex.schedule(JobSpec(notebook=nb, schedule="@daily", name="x"))


def test_close_stops_the_scheduler_thread(tmp_path):
    ex = make_local(tmp_path)
    ex.start_scheduler(interval=3600)  # it would sleep an hour between ticks
    thread = ex._scheduler
    assert thread is not None and thread.is_alive()
    ex.close()
    assert not thread.is_alive()
    ex.close()  # idempotent
    ex.start_scheduler(interval=3600)  # and it can be started again
    assert ex._scheduler is not thread and ex._scheduler.is_alive()
    ex.close()
    assert not ex._scheduler.is_alive()
