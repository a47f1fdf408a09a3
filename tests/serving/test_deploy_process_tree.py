"""A local deployment owns its process tree: reaped when it dies, stopped entirely.

``--workers`` forks workers that outlive a server killed under them (they keep its port
and go on serving the old model); heal and delete must stop them too.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from jupyter_bighead import _procs
from jupyter_bighead.config import BigheadHome
from jupyter_bighead.serving import DeploymentService
from jupyter_bighead.serving.local import deployment_mark

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")


def _state(pid: int) -> str | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return None
    return stat.rpartition(b")")[2].split()[0].decode()


def _wait_until(predicate, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


@pytest.fixture
def service(registry, tmp_path):
    svc = DeploymentService(BigheadHome(tmp_path / "home"), registry=registry,
                            target_options={"local": {"registry": registry.store.uri,
                                                      "poll_seconds": 0, "workers": 2}})
    yield svc
    for record in list(svc.store.all()):
        svc.delete(record.id)


def test_a_killed_server_is_reaped_and_its_orphaned_workers_stopped(service):
    record = service.create("clf", alias="production", user="ada")
    assert _wait_until(lambda: service.get(record.id).status == "running"), \
        service.logs(record.id)[0]
    mark = deployment_mark(record.id)
    assert _wait_until(lambda: len(_procs.marked(mark)) == 3)  # the server and 2 workers
    server = service.get(record.id).pid
    workers = set(_procs.marked(mark)) - {server}

    os.kill(server, signal.SIGKILL)

    # Reaped at once, though nobody asked about the deployment: no zombie.
    assert _wait_until(lambda: _state(server) is None)
    assert all(_state(w) not in (None, "Z") for w in workers)  # orphans, still serving
    healed = service.supervise()
    assert [h.status for h in healed] == ["restarting"]
    assert all(_state(w) in (None, "Z") for w in workers)
    back = service.get(record.id)
    assert back.port == record.port  # the orphans no longer hold it
    assert _wait_until(lambda: service.get(record.id).status == "running")

    service.delete(record.id)
    assert _procs.marked(mark) == []
