"""The GPU work queue: detection, the fair exclusive allocator, and real local jobs on it."""

from __future__ import annotations

import json
import os
import random
import threading
import time
from datetime import datetime
from pathlib import Path

import pytest

from jupyter_bighead.config import BigheadHome
from jupyter_bighead.errors import InvalidSpec
from jupyter_bighead.jobs import JobSpec
from jupyter_bighead.jobs.gpus import (
    LOCAL_GPUS_ENV,
    Gpu,
    GpuQueue,
    GpuRequest,
    configured_gpus,
    detect_gpus,
    gpu_env,
    parse_nvidia_smi,
)
from jupyter_bighead.jobs.spec import ComputeProfile

REPO = Path(__file__).resolve().parents[2]
SMI = """GPU 0: NVIDIA H200 (UUID: GPU-11111111-aaaa-bbbb-cccc-000000000000)
GPU 1: NVIDIA A100-SXM4-40GB (UUID: GPU-22222222-aaaa-bbbb-cccc-000000000000)
  MIG 3g.20gb     Device  0: (UUID: MIG-aaaaaaaa-0000-0000-0000-000000000000)
  MIG 3g.20gb     Device  1: (UUID: MIG-bbbbbbbb-0000-0000-0000-000000000000)
GPU 2: Tesla T4 (UUID: GPU-33333333-aaaa-bbbb-cccc-000000000000)
"""


def queue(n: int = 3, **kw) -> GpuQueue:
    return GpuQueue(configured_gpus([f"g{i}" for i in range(n)]), **kw)


def req(job: str, owner: str, count: int, at: int) -> GpuRequest:
    return GpuRequest(job, owner, count, f"2026-01-01T00:00:{at:02d}")


def ids(assigned) -> dict[str, tuple[str, ...]]:
    return {r.job_id: tuple(g.id for g in devices) for r, devices in assigned}


# -- detection ------------------------------------------------------------------------
def test_nvidia_smi_listing_yields_uuids_and_splits_mig_gpus_into_their_instances():
    gpus = parse_nvidia_smi(SMI)
    assert [g.id for g in gpus] == ["GPU-11111111-aaaa-bbbb-cccc-000000000000",
                                    "MIG-aaaaaaaa-0000-0000-0000-000000000000",
                                    "MIG-bbbbbbbb-0000-0000-0000-000000000000",
                                    "GPU-33333333-aaaa-bbbb-cccc-000000000000"]
    assert gpus[0] == Gpu("GPU-11111111-aaaa-bbbb-cccc-000000000000", "NVIDIA H200", 0)
    assert gpus[1].name == "NVIDIA A100-SXM4-40GB MIG 3g.20gb" and gpus[1].index == 1
    assert parse_nvidia_smi("No devices were found\n") == ()


@pytest.mark.parametrize("bad", [[""], ["0", "0"], ["0,1"], ["gpu 1"]])
def test_configured_gpu_lists_refuse_empty_malformed_or_repeated_ids(bad):
    with pytest.raises(InvalidSpec):
        configured_gpus(bad)


def fake_smi(folder: Path, text: str = SMI, rc: int = 0) -> dict[str, str]:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "listing").write_text(text)
    script = folder / "nvidia-smi"
    script.write_text(f"#!/bin/sh\ncat '{folder / 'listing'}'\nexit {rc}\n")
    script.chmod(0o755)
    return {"PATH": str(folder)}


def test_gpus_come_from_configuration_then_the_environment_then_nvidia_smi(tmp_path):
    env = fake_smi(tmp_path / "bin")
    assert [g.id for g in detect_gpus(["1", "GPU-x"], environ=env)] == ["1", "GPU-x"]
    assert [g.id for g in detect_gpus(environ={**env, LOCAL_GPUS_ENV: "0, 2"})] == ["0", "2"]
    assert detect_gpus(environ={**env, LOCAL_GPUS_ENV: "none"}) == ()
    assert detect_gpus(environ={**env, LOCAL_GPUS_ENV: ""}) == ()
    assert [g.name for g in detect_gpus(environ=env)][::3] == ["NVIDIA H200", "Tesla T4"]
    assert detect_gpus(environ={"PATH": str(tmp_path / "nowhere")}) == ()
    assert detect_gpus(environ=fake_smi(tmp_path / "broken", rc=9)) == ()


def test_detected_gpus_are_narrowed_to_the_servers_own_cuda_visible_devices(tmp_path):
    env = fake_smi(tmp_path / "bin")
    narrowed = detect_gpus(environ={**env, "CUDA_VISIBLE_DEVICES": "2,MIG-bbbb"})
    assert [g.id[:8] for g in narrowed] == ["MIG-bbbb", "GPU-3333"]
    assert detect_gpus(environ={**env, "CUDA_VISIBLE_DEVICES": ""}) == ()


def test_a_job_is_confined_to_the_gpus_it_holds_and_sees_none_without_any():
    assert gpu_env(["GPU-a", "GPU-b"]) == {"CUDA_VISIBLE_DEVICES": "GPU-a,GPU-b",
                                           "NVIDIA_VISIBLE_DEVICES": "GPU-a,GPU-b",
                                           "CUDA_DEVICE_ORDER": "PCI_BUS_ID"}
    none = gpu_env([])
    assert none["CUDA_VISIBLE_DEVICES"] == "" and none["NVIDIA_VISIBLE_DEVICES"] == "none"


# -- the allocator --------------------------------------------------------------------
def test_a_request_for_more_gpus_than_the_machine_has_is_refused():
    q = queue(3)
    q.check(3)
    with pytest.raises(InvalidSpec, match=r"asks for 4 GPU\(s\) but this machine has 3"):
        q.check(4)
    with pytest.raises(InvalidSpec, match="has none"):
        GpuQueue(()).check(1)


def test_gpus_are_held_exclusively_and_later_jobs_wait_until_some_are_released():
    q = queue(3)
    first = q.assign([req("a", "ann", 2, 1), req("b", "bob", 1, 2), req("c", "cat", 1, 3)])
    assert ids(first) == {"a": ("g0", "g1"), "b": ("g2",)}
    assert q.assign([req("c", "cat", 1, 3)]) == []  # all busy: c waits
    assert q.positions([req("c", "cat", 1, 3)]) == {"c": 1}
    assert q.release("a") == configured_gpus(["g0", "g1"])
    assert ids(q.assign([req("c", "cat", 1, 3)])) == {"c": ("g0",)}
    assert q.holdings() == {"b": ("g2",), "c": ("g0",)}


def test_users_are_served_round_robin_so_one_users_backlog_cannot_crowd_out_another():
    q = queue(2)
    q.hold("running", "ann", ["g0"])
    waiting = [req(f"ann{i}", "ann", 1, i) for i in range(5)] + [req("bob0", "bob", 1, 9),
                                                                 req("bob1", "bob", 1, 10)]
    order = [r.job_id for r in q.order(waiting)]
    # Bob holds nothing, so his first job leads the first round; each user's own jobs
    # stay in submission order.
    assert order == ["bob0", "ann0", "bob1", "ann1", "ann2", "ann3", "ann4"]
    assert ids(q.assign(waiting)) == {"bob0": ("g1",)}
    # Holding the same, the user whose oldest job waits longest goes first.
    q.release("running")
    q.release("bob0")
    assert [r.job_id for r in q.order(waiting[:3])] == ["ann0", "ann1", "ann2"]
    assert [r.job_id for r in q.order([waiting[0], waiting[6]])] == ["ann0", "bob1"]


@pytest.mark.parametrize("max_overtakes", [0, 1, 2, 3])
def test_a_two_gpu_job_is_overtaken_by_one_gpu_jobs_at_most_max_overtakes_times(max_overtakes):
    q = queue(3, max_overtakes=max_overtakes)
    q.hold("long", "zed", ["g0", "g1"])  # runs on; only g2 comes and goes
    big = req("big", "ann", 2, 0)
    small = [req(f"s{i}", f"user{i}", 1, i + 1) for i in range(10)]
    overtook = []
    for _ in range(10):
        started = ids(q.assign([big, *small]))
        assert "big" not in started
        for job in started:
            overtook.append(job)
            small = [r for r in small if r.job_id != job]
            q.release(job)  # it finished: g2 is free again
    assert len(overtook) == max_overtakes
    q.release("long")
    assert ids(q.assign([big, *small])) == {"big": ("g0", "g1"), small[0].job_id: ("g2",)}


def test_a_job_asking_for_more_than_exists_never_blocks_the_queue():
    q = queue(2, max_overtakes=0)
    assert ids(q.assign([req("huge", "ann", 5, 0), req("ok", "bob", 1, 1)])) == {"ok": ("g0",)}


def test_syncing_from_running_jobs_releases_ended_ones_and_first_claim_wins():
    q = queue(3)
    q.hold("old", "ann", ["g0"])
    q.sync({"a": ("ann", ["g1", "gone"]), "b": ("bob", ["g1", "g2"])})
    assert q.holdings() == {"a": ("g1",), "b": ("g2",)}
    assert [g.id for g in q.free()] == ["g0"]
    with pytest.raises(InvalidSpec, match="held by job a"):
        q.hold("c", "cat", ["g1"])


def test_concurrent_assign_and_release_never_hand_one_gpu_to_two_jobs():
    q = queue(3)
    in_use: set[str] = set()
    guard = threading.Lock()
    clashes: list[str] = []
    grants = [0]

    def worker(n: int) -> None:
        rnd = random.Random(n)
        for i in range(300):
            job = f"w{n}-{i}"
            got = q.assign([req(job, f"u{n}", rnd.choice((1, 2)), i)])
            if not got:
                continue
            devices = {g.id for g in got[0][1]}
            with guard:
                clashes.extend(devices & in_use)
                in_use.update(devices)
                grants[0] += 1
            with guard:
                in_use.difference_update(devices)
            q.release(job)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert clashes == []
    assert grants[0] > 100 and q.holdings() == {}


# -- real local jobs on a fake 3-GPU machine -------------------------------------------
PROFILES = {
    "default": ComputeProfile("default", max_concurrent_per_user=10),
    "gpu": ComputeProfile("gpu", gpu=2, max_concurrent_per_user=10),
}
FAKE = ["GPU-fake-0", "GPU-fake-1", "GPU-fake-2"]


@pytest.fixture
def probes(tmp_path, monkeypatch):
    """A folder the probe jobs report into; the workers can import tests.jobs.gpu_probe."""
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p))
    folder = tmp_path / "probes"
    folder.mkdir()
    return folder


def local(tmp_path, gpus=FAKE, **kw):
    from jupyter_bighead.jobs.local import LocalExecutor

    return LocalExecutor(home=BigheadHome(tmp_path / "home"), profiles=PROFILES, gpus=gpus,
                         **kw)


def probe(folder: Path, name: str, gpus: int) -> JobSpec:
    return JobSpec(function="tests.jobs.gpu_probe:hold", name=name,
                   parameters={"folder": str(folder), "name": name},
                   profile="gpu" if gpus else "default", resources={"gpu": gpus})


def until(check, what: str, timeout: float = 90.0):
    deadline = time.monotonic() + timeout
    while not (value := check()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)
    return value


def running(ex, job_id: str, folder: Path, name: str) -> list[str]:
    """Wait until the job runs and reported; return the GPU ids its record says it holds."""
    until(lambda: ex.status(job_id).state == "running", f"{name} to run")
    until(lambda: (folder / f"{name}.seen").exists(), f"{name} to report")
    return [g["id"] for g in ex.status(job_id).backend.get("gpus", [])]


def seen(folder: Path, name: str) -> dict[str, str]:
    return json.loads((folder / f"{name}.seen").read_text())


def release(folder: Path, name: str, outcome: str = "ok") -> None:
    (folder / f"{name}.go").write_text(outcome)


def test_five_jobs_on_three_gpus_run_exclusively_queue_fairly_and_free_gpus_on_failure_and_cancel(
        tmp_path, probes):
    # max_concurrent bounds jobs without GPUs; jobs with GPUs are bounded by the GPUs.
    ex = local(tmp_path, max_concurrent=1)
    jobs = {}
    for name, user, n in [("a1", "ann", 2), ("a2", "ann", 1), ("a3", "ann", 2),
                          ("b1", "bob", 1), ("b2", "bob", 1)]:
        jobs[name] = ex.submit(probe(probes, name, n), user=user).id
    held = {name: running(ex, jobs[name], probes, name) for name in ("a1", "a2")}
    assert sorted(held["a1"] + held["a2"]) == FAKE
    # Ann's second 2-GPU job was submitted first, but Bob holds nothing: he goes first.
    places = {n: ex.status(jobs[n]).backend.get("queue_position") for n in ("a3", "b1", "b2")}
    assert places == {"b1": 1, "a3": 2, "b2": 3}
    assert {ex.status(jobs[n]).state for n in places} == {"queued"}

    release(probes, "a2", "fail")  # a failure frees its GPU...
    assert ex.wait(jobs["a2"], 60).state == "failed"
    held["b1"] = running(ex, jobs["b1"], probes, "b1")
    assert held["b1"] == held["a2"]  # ...and the next in the fair order gets it
    assert ex.status(jobs["a3"]).state == ex.status(jobs["b2"]).state == "queued"

    ex.cancel(jobs["a1"])  # so does a cancel: Ann now holds none, her 2-GPU job runs
    held["a3"] = running(ex, jobs["a3"], probes, "a3")
    assert sorted(held["a3"]) == sorted(held["a1"])
    assert ex.status(jobs["b2"]).backend.get("queue_position") == 1

    release(probes, "b1")
    held["b2"] = running(ex, jobs["b2"], probes, "b2")
    assert held["b2"] == held["b1"]
    for name in ("a3", "b2"):
        release(probes, name)
        assert ex.wait(jobs[name], 60).state == "succeeded"

    records = {name: ex.status(job_id) for name, job_id in jobs.items()}
    for name, record in records.items():  # each job saw exactly what it was given
        assert seen(probes, name)["CUDA_VISIBLE_DEVICES"].split(",") == held[name]
        assert "queue_position" not in record.backend
    spans = {name: (datetime.fromisoformat(r.started), datetime.fromisoformat(r.finished))
             for name, r in records.items()}
    for x in records:
        for y in records:
            overlap = x < y and spans[x][0] < spans[y][1] and spans[y][0] < spans[x][1]
            if overlap:
                assert not set(held[x]) & set(held[y]), (x, y)
    started = sorted(records, key=lambda n: spans[n][0])
    assert started == ["a1", "a2", "b1", "a3", "b2"]


def test_a_job_asking_for_more_gpus_than_the_machine_has_is_refused_and_creates_nothing(
        tmp_path, probes):
    ex = local(tmp_path, gpus=FAKE[:1])
    with pytest.raises(InvalidSpec, match=r"asks for 2 GPU\(s\) but this machine has 1"):
        ex.submit(probe(probes, "big", 2))
    none = local(tmp_path, gpus=[])
    with pytest.raises(InvalidSpec, match="has none"):
        none.submit(probe(probes, "one", 1))
    assert ex.list() == []


def test_a_restarted_executor_keeps_the_gpus_its_running_jobs_hold(tmp_path, probes):
    before = local(tmp_path, gpus=FAKE[:2])
    big = before.submit(probe(probes, "big", 2), user="ann")
    assert sorted(running(before, big.id, probes, "big")) == FAKE[:2]

    after = local(tmp_path, gpus=FAKE[:2])  # a new server over the same home
    small = after.submit(probe(probes, "small", 1), user="bob")
    assert small.state == "queued" and small.backend["queue_position"] == 1
    cpu = after.submit(probe(probes, "cpu", 0), user="bob")
    running(after, cpu.id, probes, "cpu")
    assert seen(probes, "cpu")["CUDA_VISIBLE_DEVICES"] == ""  # no GPU asked, none seen
    assert after.status(small.id).state == "queued"

    release(probes, "big")
    got = running(after, small.id, probes, "small")
    assert len(got) == 1 and got[0] in FAKE[:2]
    assert seen(probes, "small")["CUDA_VISIBLE_DEVICES"] == got[0]
    for name, job in (("small", small), ("cpu", cpu)):
        release(probes, name)
        assert after.wait(job.id, 60).state == "succeeded"
    # Two executors pumped the same home; the job was still started exactly once.
    assert "".join(after.logs(small.id)).count("[bighead worker] calling") == 1


# -- the device check script, against a fake nvidia-smi --------------------------------
def run_gpu_check(tmp_path, path: str):
    import subprocess
    import sys

    env = {**os.environ, "PATH": path, "PYTHON": sys.executable}
    env.pop(LOCAL_GPUS_ENV, None)
    env.pop("CUDA_VISIBLE_DEVICES", None)
    return subprocess.run([str(REPO / "scripts" / "gpu-check")], capture_output=True,
                          text=True, env=env, timeout=300, check=False)


def test_gpu_check_runs_one_job_on_the_gpu_nvidia_smi_reports_and_agrees(tmp_path):
    fake_smi(tmp_path / "bin",
             "GPU 0: NVIDIA Fake (UUID: GPU-feedc0de-0000-1111-2222-333333333333)\n")
    done = run_gpu_check(tmp_path, f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "executor assigned: ['GPU-feedc0de-0000-1111-2222-333333333333'] ['NVIDIA Fake']" \
        in done.stdout
    assert "gpu-check OK: the job held and saw exactly GPU 0: NVIDIA Fake" in done.stdout


def test_gpu_check_says_so_when_there_is_no_gpu_to_check(tmp_path):
    fake_smi(tmp_path / "bin", "No devices were found\n")
    done = run_gpu_check(tmp_path, f"{tmp_path / 'bin'}{os.pathsep}/usr/bin:/bin")
    assert done.returncode == 2 and "detected no GPU" in done.stderr


def test_the_local_executor_and_worker_import_nothing_a_bare_gpu_machine_lacks():
    import subprocess
    import sys

    heavy = ["papermill", "nbformat", "jupyter_core", "jupyter_client", "traitlets",
             "lightgbm", "kubernetes", "tornado", "pandas", "sklearn"]
    code = ("import sys, jupyter_bighead.jobs.local, jupyter_bighead.jobs.worker\n"
            f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({heavy!r})))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=REPO).stdout
    assert out.strip() == "[]"


def test_a_job_leaves_the_queue_when_cancelled_or_when_the_machine_loses_the_gpus_it_needs(
        tmp_path, probes):
    ex = local(tmp_path, gpus=FAKE[:2])
    hog = ex.submit(probe(probes, "hog", 2), user="ann")
    running(ex, hog.id, probes, "hog")
    one = ex.submit(probe(probes, "one", 1), user="ann")
    two = ex.submit(probe(probes, "two", 2), user="ann")
    assert (one.backend["queue_position"], two.backend["queue_position"]) == (1, 2)

    cancelled = ex.cancel(one.id)
    assert cancelled.state == "cancelled" and "queue_position" not in cancelled.backend
    until(lambda: ex.status(two.id).backend.get("queue_position") == 1, "two to move up")

    smaller = local(tmp_path, gpus=FAKE[:1])  # restarted with one GPU fewer
    cpu = smaller.submit(probe(probes, "cpu", 0), user="bob")  # any scheduling pass
    failed = smaller.status(two.id)
    assert failed.state == "failed" and "queue_position" not in failed.backend
    assert failed.error == "the job asks for 2 GPU(s); this machine has 1"
    for name, job in (("hog", hog), ("cpu", cpu)):
        release(probes, name)
        assert smaller.wait(job.id, 60).state == "succeeded"
