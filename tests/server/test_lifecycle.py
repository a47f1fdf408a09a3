"""The extension owns its services: built with the server, heavy imports on the first
Bighead request, background tasks started and stopped through ExtensionApp's hooks."""

from __future__ import annotations

import json
import threading
import time

from jupyter_bighead_server.background import Periodic
from jupyter_bighead_server.service import BigheadService


def service_of(jp_serverapp) -> BigheadService:
    service = jp_serverapp.web_app.settings["bighead"]
    assert isinstance(service, BigheadService)
    return service


def bighead_threads(ignore: frozenset[threading.Thread] = frozenset()) -> set[str]:
    """Names of the live background threads, leaving out ``ignore`` (threads that other
    tests' servers and executors in this process left behind)."""
    return {t.name for t in threading.enumerate()
            if t.is_alive() and t not in ignore
            and t.name in ("bighead-deployments", "bighead-schedule-watch",
                           "bighead-schedules")}


async def test_status_imports_nothing_and_the_first_core_request_pays_the_import(
        jp_fetch, jp_serverapp):
    service = service_of(jp_serverapp)
    status = json.loads((await jp_fetch("bighead", "api", "status")).body)
    assert status["executor"] == "local"
    assert not service.imports.started  # the lab's status call imports nothing
    page = json.loads((await jp_fetch("bighead", "api", "models")).body)
    assert page["items"] == []
    assert service.imports.done


async def test_other_requests_never_wait_for_the_first_bighead_import(jp_fetch,
                                                                     jp_serverapp):
    import asyncio

    from jupyter_bighead_server.threads import CoreImports, default_modules

    gate, runs = threading.Event(), []

    def held_modules():
        runs.append(1)
        gate.wait(60)  # an import that takes long (a loaded machine)
        return default_modules()

    service = service_of(jp_serverapp)
    service.imports = CoreImports(held_modules)
    first = [asyncio.ensure_future(jp_fetch("bighead", "api", "models")) for _ in range(3)]
    while not runs:
        await asyncio.sleep(0.05)
    # Jupyter's own API, and Bighead's status, answer while the import runs.
    assert (await jp_fetch("api", "status")).code == 200
    assert (await jp_fetch("bighead", "api", "status")).code == 200
    assert not any(f.done() for f in first)
    gate.set()
    answers = await asyncio.gather(*first)
    assert [a.code for a in answers] == [200, 200, 200]
    assert runs == [1]  # the three first requests shared one import


async def start_extensions(jp_serverapp) -> None:
    """What ServerApp._post_start does once the loop runs (pytest-jupyter skips it)."""
    await jp_serverapp.extension_manager.start_all_extensions()


async def test_background_tasks_start_with_the_server_and_stop_with_it(jp_fetch,
                                                                       jp_serverapp):
    service = service_of(jp_serverapp)
    assert service.tasks == []  # built in initialize_settings, not started yet
    others = frozenset(threading.enumerate())
    await start_extensions(jp_serverapp)
    names = {task.name for task in service.tasks}
    assert names == {"bighead-deployments", "bighead-schedule-watch"}
    assert all(task.running for task in service.tasks)
    # The local executor's own scheduler thread (which a schedule created over REST
    # starts) is stopped with the server too.
    service.imports.wait()
    service.jobs().start_scheduler()
    assert bighead_threads(others) == names | {"bighead-schedules"}
    tasks = service.tasks
    await jp_serverapp.extension_manager.stop_all_extensions()
    assert service.tasks == []
    assert not any(task.running for task in tasks)
    assert bighead_threads(others) == set()
    service.start()  # a stopped service stays stopped
    assert service.tasks == []


def test_schedules_on_disk_wake_the_executors_scheduler(tmp_path):
    from jupyter_bighead.config import BigheadHome
    from jupyter_bighead_server.service import BigheadConfig

    service = BigheadService(BigheadConfig(home=BigheadHome(tmp_path / "home").ensure(),
                                           root_dir=tmp_path))
    others = frozenset(threading.enumerate())
    service.wake_scheduler()
    assert not service.imports.started  # nothing scheduled: nothing imported or built
    (tmp_path / "home" / "schedules").mkdir(parents=True, exist_ok=True)
    (tmp_path / "home" / "schedules" / "nightly.json").write_text("{}")
    service.wake_scheduler()
    executor = service.jobs()
    try:
        assert "bighead-schedules" in bighead_threads(others)
    finally:
        service.stop()
    assert "bighead-schedules" not in bighead_threads(others)
    assert executor is service.jobs()


def test_periodic_tasks_run_and_stop_within_one_pass():
    calls = []
    task = Periodic("bighead-test", 0.05, lambda: calls.append(time.monotonic()))
    task.start()
    time.sleep(0.4)
    started = time.monotonic()
    task.stop()
    assert time.monotonic() - started < 1.0
    assert not task.running and len(calls) >= 2
    count = len(calls)
    time.sleep(0.2)
    assert len(calls) == count


def test_a_failing_pass_does_not_end_the_task():
    calls = []

    def flaky():
        calls.append(1)
        if len(calls) == 1:
            raise OSError("transient")

    task = Periodic("bighead-test", 0.05, flaky)
    task.start()
    deadline = time.monotonic() + 5
    while len(calls) < 3 and time.monotonic() < deadline:
        time.sleep(0.02)
    task.stop()
    assert len(calls) >= 3
