"""RecordStore: the one way jobs, schedules and sweeps keep JSON records in a folder."""

from __future__ import annotations

import json
import multiprocessing
import re
import threading

import pytest

from jupyter_bighead.errors import Conflict, InvalidSpec, NotFound
from jupyter_bighead.jobs import JobSpec
from jupyter_bighead.jobs.records import JobStore
from jupyter_bighead.jobs.schedules import ScheduleStore
from jupyter_bighead.recordstore import RecordStore

ID = re.compile(r"[a-z0-9][a-z0-9-]{0,30}")


def test_file_records_round_trip_and_say_what_is_wrong(tmp_path):
    store = RecordStore(tmp_path / "things", kind="thing", id_pattern=ID)
    store.write("b-2", {"n": 2})
    store.create("a-1", {"n": 1})
    assert (tmp_path / "things" / "a-1.json").is_file()
    assert store.read("a-1") == {"n": 1} and store.ids() == ["a-1", "b-2"]
    with pytest.raises(Conflict):
        store.create("a-1", {"n": 9})
    with pytest.raises(InvalidSpec, match=re.escape("'../x' is not a thing id")):
        store.read("../x")
    store.delete("a-1")
    with pytest.raises(NotFound, match="thing 'a-1' does not exist"):
        store.read("a-1")
    with pytest.raises(NotFound):
        store.delete("a-1")


def test_refused_deletes_change_nothing_on_disk(tmp_path):
    store = RecordStore(tmp_path, kind="thing", id_pattern=ID)
    with pytest.raises(NotFound):
        store.delete("a-1")
    with pytest.raises(InvalidSpec):
        store.delete("../b-2")
    assert list(tmp_path.iterdir()) == []  # not even a lock file


def test_folder_records_live_in_the_records_folder(tmp_path):
    store = RecordStore(tmp_path, kind="run", id_pattern=ID, layout="folder")
    store.write("r-1", {"id": "r-1"})
    assert json.loads((tmp_path / "r-1" / "record.json").read_text()) == {"id": "r-1"}
    (tmp_path / "r-2").mkdir()  # a half-created folder is no record
    assert store.ids() == ["r-1"] and store.folder("r-1") == tmp_path / "r-1"


def test_listing_skips_unreadable_records_and_pages_newest_first(tmp_path):
    store = RecordStore(tmp_path, kind="thing", id_pattern=ID)
    for i in range(5):
        store.write(f"t-{i}", {"i": i, "bad": float("nan")} if i == 3 else {"i": i})
    (tmp_path / "t-9.json").write_text("{not json")
    (tmp_path / "t-8.json").write_text("[1, 2]")
    (tmp_path / "NOT-AN-ID.json").write_text("{}")
    assert store.read("t-3") == {"i": 3, "bad": None}  # NaN on disk reads as null
    assert [r["i"] for _, r in store.page(limit=3)] == [4, 3, 2]
    # the offset counts stored ids, readable or not (t-9 and t-8 come first)
    assert [r["i"] for _, r in store.page(limit=3, offset=5)] == [1, 0]
    assert [i for i, _ in store.records()] == ["t-0", "t-1", "t-2", "t-3", "t-4"]


def _add(store: RecordStore) -> None:
    for _ in range(40):
        store.update("counter", lambda r: {"n": r["n"] + 1})


def _add_in_process(root: str) -> None:
    _add(RecordStore(root, kind="counter", id_pattern=ID))


def test_updates_from_threads_and_processes_lose_nothing(tmp_path):
    store = RecordStore(tmp_path, kind="counter", id_pattern=ID)
    store.write("counter", {"n": 0})
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_add_in_process, args=(str(tmp_path),)) for _ in range(2)]
    threads = [threading.Thread(target=_add, args=(store,)) for _ in range(3)]
    for w in (*procs, *threads):
        w.start()
    for w in (*procs, *threads):
        w.join(120)
    assert all(p.exitcode == 0 for p in procs)
    assert store.read("counter") == {"n": 40 * 5}


def test_homes_written_before_the_record_store_still_load(tmp_path):
    """The files older releases wrote (by hand here) load unchanged."""
    spec = JobSpec(function="pkg.mod:run").to_dict()
    job = tmp_path / "jobs" / "run-20240101000000-abcdef"
    job.mkdir(parents=True)
    (job / "record.json").write_text(json.dumps({
        "id": job.name, "spec": spec, "executor": "local", "state": "succeeded",
        "created": "2024-01-01T00:00:00+00:00", "metrics": {"auc": "NaN"}, "unknown": 1,
    }).replace('"NaN"', "NaN"))
    record = JobStore(tmp_path / "jobs").load(job.name)
    assert record.state == "succeeded" and record.metrics == {"auc": None}
    assert [r.id for r in JobStore(tmp_path / "jobs").all()] == [job.name]

    (tmp_path / "schedules").mkdir()
    (tmp_path / "schedules" / "nightly.json").write_text(json.dumps({
        "name": "nightly", "schedule": "0 3 * * *",
        "spec": {**spec, "schedule": "0 3 * * *"}, "user": "ann",
        "created": "2024-01-01T00:00:00+00:00", "last_fired": None}))
    [item] = ScheduleStore(tmp_path / "schedules").all()
    assert (item.name, item.user, item.spec.schedule) == ("nightly", "ann", "0 3 * * *")


def test_the_lock_is_reentrant_and_loads_is_the_stores_choice(tmp_path):
    store = RecordStore(tmp_path, kind="thing", id_pattern=ID)
    done = []

    def nested() -> None:
        with store.locked("a-1"), store.locked("b-2"):
            store.update("a-1", lambda r: {**r, "n": r["n"] + 1})
            done.append(True)

    store.write("a-1", {"n": 1, "x": float("nan")})
    raw = RecordStore(tmp_path, kind="thing", id_pattern=ID, loads=json.loads)
    assert raw.read("a-1")["x"] != raw.read("a-1")["x"]  # NaN kept
    worker = threading.Thread(target=nested, daemon=True)
    worker.start()
    worker.join(10)
    assert done and store.read("a-1") == {"n": 2, "x": None}  # default: NaN read as null
