"""Deployment records: the files they always had, on the shared RecordStore, locked
across processes."""

from __future__ import annotations

import json
import math
import multiprocessing
import time
from dataclasses import replace
from pathlib import Path

import pytest

from jupyter_bighead.config import BigheadHome
from jupyter_bighead.errors import InvalidSpec, NotFound
from jupyter_bighead.serving.deploy import (
    Deployment,
    DeploymentService,
    DeploymentStore,
    DeployTarget,
)

# A record exactly as the first DeploymentStore wrote it (json.dumps, indent=2, NaN
# allowed), with a key this version does not know.
OLD_RECORD = {
    "id": "churn-a1b2c3", "model": "churn", "target": "local", "version": 3,
    "alias": "production", "status": "running", "url": "http://127.0.0.1:9001",
    "port": 9001, "pid": 4242, "pid_started": 1764470000.25, "replicas": 1,
    "resources": {"cpu": "1", "min_replicas": 1, "max_replicas": 1},
    "admin_token": "tok", "created": "2026-11-01T10:00:00+00:00",
    "updated": "2026-11-01T10:00:05+00:00", "user": "ana", "restarts": 2,
    "reason": None, "backend": {"latency_ms": float("nan"), "load": float("inf")},
    "retired_field": "ignored",
}


def write_old(root: Path, data: dict) -> Path:
    folder = root / data["id"]
    folder.mkdir(parents=True)
    path = folder / "record.json"
    path.write_text(json.dumps(data, indent=2), "utf-8")
    return path


def test_a_record_in_the_old_format_loads_with_its_nan_kept(tmp_path):
    path = write_old(tmp_path, OLD_RECORD)
    assert "NaN" in path.read_text()
    store = DeploymentStore(tmp_path)
    record = store.load("churn-a1b2c3")
    assert (record.model, record.version, record.alias, record.restarts) == ("churn", 3,
                                                                             "production", 2)
    assert math.isnan(record.backend["latency_ms"]) and record.backend["load"] == math.inf
    assert [d.id for d in store.all()] == ["churn-a1b2c3"]
    # Saved again, the same file, still NaN (not null) on the way back.
    store.save(record.evolve(status="unhealthy"))
    assert {p.name for p in tmp_path.iterdir()} <= {"churn-a1b2c3", ".records.lock"}
    again = store.load("churn-a1b2c3")
    assert again.status == "unhealthy" and math.isnan(again.backend["latency_ms"])
    stored = json.loads(path.read_text())
    assert set(stored) == set(record.to_dict()) and stored["status"] == "unhealthy"


def test_listing_skips_unreadable_records_newest_first(tmp_path):
    write_old(tmp_path, OLD_RECORD)
    write_old(tmp_path, {**OLD_RECORD, "id": "churn-d4e5f6", "created": "2026-11-02T00:00:00"})
    (tmp_path / "half-made").mkdir()
    bad = tmp_path / "bad-json1"
    bad.mkdir()
    (bad / "record.json").write_text("{not json")
    missing = tmp_path / "no-model1"
    missing.mkdir()
    (missing / "record.json").write_text(json.dumps({"id": "no-model1"}))
    store = DeploymentStore(tmp_path)
    assert [d.id for d in store.all()] == ["churn-d4e5f6", "churn-a1b2c3"]
    with pytest.raises(NotFound):
        store.load("churn-zzzzzz")
    with pytest.raises(InvalidSpec):
        store.load("../etc")


def test_delete_removes_the_folder_and_a_missing_one_is_fine(tmp_path):
    path = write_old(tmp_path, OLD_RECORD)
    (path.parent / "serve.log").write_text("log")
    store = DeploymentStore(tmp_path)
    store.delete("churn-a1b2c3")
    assert not path.parent.exists()
    store.delete("churn-a1b2c3")


def _hold_lock(root: str, ready: str, seconds: float) -> None:
    with DeploymentStore(root).locked("churn-a1b2c3"):
        Path(ready).write_text("held")
        time.sleep(seconds)


def test_another_process_holding_the_lock_makes_a_save_wait(tmp_path):
    write_old(tmp_path, OLD_RECORD)
    ready = tmp_path / "ready"
    proc = multiprocessing.get_context("spawn").Process(
        target=_hold_lock, args=(str(tmp_path), str(ready), 1.5))
    proc.start()
    try:
        deadline = time.monotonic() + 60
        while not ready.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert ready.exists()
        store = DeploymentStore(tmp_path)
        began = time.monotonic()
        store.save(store.load("churn-a1b2c3").evolve(status="failed"))
        assert time.monotonic() - began > 0.5
    finally:
        proc.join(30)
    assert DeploymentStore(tmp_path).load("churn-a1b2c3").status == "failed"


class FlakyTarget(DeployTarget):
    """Reports every deployment unhealthy: refresh changes the record."""

    name = "flaky"

    def start(self, record: Deployment) -> Deployment:
        return replace(record, status="running")

    def refresh(self, record: Deployment) -> Deployment:
        return replace(record, status="unhealthy")

    def stop(self, record: Deployment) -> None:
        return None


def test_a_refresh_never_writes_back_a_record_deleted_meanwhile(tmp_path):
    home = BigheadHome(tmp_path)
    service = DeploymentService(home, targets={"flaky": FlakyTarget(home)}, registry=object())
    record = Deployment.from_dict({**OLD_RECORD, "target": "flaky"})
    service.store.save(record)
    assert service.get(record.id).status == "unhealthy"  # a change is saved
    service.store.delete(record.id)  # another process deletes it
    assert service._refresh(record).status == "unhealthy"
    assert not service.store.exists(record.id)
    assert service.list() == []
