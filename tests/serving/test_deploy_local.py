"""The local deploy target: start, health, kill and restart, logs, reload, stop."""

from __future__ import annotations

import json
import os
import signal
import time

import pytest

from jupyter_bighead.config import BigheadHome
from jupyter_bighead.errors import InvalidSpec, NotFound
from jupyter_bighead.jobs.local import _alive
from jupyter_bighead.serving import DeploymentService
from jupyter_bighead.serving.deploy import target_class

from .conftest import instances, training_frame


@pytest.fixture
def service(registry, tmp_path):
    svc = DeploymentService(BigheadHome(tmp_path / "home"), registry=registry,
                            target_options={"local": {"registry": registry.store.uri,
                                                      "poll_seconds": 0.5}})
    yield svc
    for record in list(svc.store.all()):
        svc.delete(record.id)
    registry.set_alias("clf", "production", 1)


def wait_for(svc, dep_id, status, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        record = svc.get(dep_id)
        if record.status == status:
            return record
        time.sleep(0.2)
    raise AssertionError(f"{dep_id} never became {status}: {svc.get(dep_id)}\n"
                         f"{svc.logs(dep_id)[0]}")


def predict(svc, record, rows):
    status, body = svc.call(record.id, "POST", f"/v1/models/{record.model}:predict",
                            json.dumps({"instances": rows}).encode())
    return status, json.loads(body)


def test_lifecycle_start_health_restart_stop(service, registry):
    X, _y = training_frame()
    rows = instances(X[:3])
    record = service.create("clf", alias="production", user="ada")
    assert record.status == "starting" and record.url.startswith("http://127.0.0.1:")
    on_disk = json.loads((service.home.root / "deployments" / record.id / "record.json")
                         .read_text())
    assert on_disk["admin_token"] and on_disk["port"] == record.port and on_disk["pid"]
    assert "admin_token" not in record.view() and record.view()["ref"] == "clf@production"
    running = wait_for(service, record.id, "running")
    assert predict(service, running, rows) == (
        200, {"predictions": registry.load("clf", 1).predict_proba(X[:3])[:, 1].tolist()})
    with pytest.raises(InvalidSpec, match=r"refused the request \(400\): missing features: f1"):
        service.predict(running.id, [{"f0": 1.0}])  # the server's message, as a string

    os.kill(running.pid, signal.SIGKILL)
    time.sleep(0.3)
    assert service.get(record.id).status == "failed"
    healed = service.supervise()
    assert [h.status for h in healed] == ["restarting"] and healed[0].restarts == 1
    back = wait_for(service, record.id, "running")
    assert back.port == record.port and back.pid != running.pid
    assert predict(service, back, rows)[0] == 200
    text, offset = service.logs(record.id)
    assert text.count("[bighead serve] clf@production") == 2 and offset > 0
    assert service.logs(record.id, offset) == ("", offset)

    service.delete(record.id)
    assert not _alive(back.pid, back.pid_started)
    with pytest.raises(NotFound):
        service.get(record.id)


def test_the_server_follows_its_alias_and_redeploy_reloads(service, registry):
    record = service.create("clf", alias="production")
    wait_for(service, record.id, "running")
    registry.set_alias("clf", "production", 2)
    deadline = time.monotonic() + 20
    while service.get(record.id).version != 2:  # the server polls every 0.5 s
        assert time.monotonic() < deadline, "the server did not follow the alias"
        time.sleep(0.2)
    registry.set_alias("clf", "production", 1)
    assert service.redeploy(record.id).version == 1


def test_pinned_versions_and_bad_requests(service):
    record = service.create("clf", version=2)
    assert record.ref == "clf:2" and record.alias is None
    with pytest.raises(NotFound):
        service.create("nope")
    with pytest.raises(NotFound):
        service.create("clf", alias="staging")
    with pytest.raises(InvalidSpec, match="replicas"):
        service.create("clf", replicas=0)
    with pytest.raises(InvalidSpec, match="unknown resource keys"):
        service.create("clf", resources={"tpu": 1})
    with pytest.raises(InvalidSpec, match="unknown deploy target"):
        service.create("clf", target="mars")
    with pytest.raises(InvalidSpec):
        service.get("../etc")
    assert [d.id for d in service.list()] == [record.id]


def test_targets_are_found_by_name():
    from jupyter_bighead.serving.kubernetes import KubernetesTarget
    from jupyter_bighead.serving.local import LocalTarget

    assert target_class("local") is LocalTarget
    assert target_class("kubernetes") is KubernetesTarget


def test_a_server_that_cannot_start_is_restarted_with_backoff_and_says_why(service, registry):
    from jupyter_bighead.serving.local import restart_delay

    assert [restart_delay(n) for n in (0, 1, 2, 3, 20)] == [0, 2, 4, 8, 300]
    registry.set_alias("clf", "doomed", 1)
    record = service.create("clf", alias="doomed", user="ada")
    wait_for(service, record.id, "running")
    registry.delete_alias("clf", "doomed")
    os.kill(service.get(record.id).pid, signal.SIGKILL)
    deadline = time.monotonic() + 60
    # The restarted server cannot find its alias and exits: the supervisor backs off
    # instead of starting it again on every pass, and the reason quotes its log.
    while time.monotonic() < deadline:
        service.supervise()
        now = service.get(record.id)
        if now.restarts >= 2 and now.status == "failed" and "restart 3 in" in (now.reason or ""):
            break
        time.sleep(0.3)
    else:
        raise AssertionError(f"no backoff: {service.get(record.id)}")
    assert "doomed" in now.reason  # the serve error names the missing alias
    for _ in range(5):
        service.supervise()
    assert service.get(record.id).restarts == now.restarts  # no restart inside the wait


def test_a_model_reference_deploys_like_its_name_plus_version_or_alias(service):
    followed = service.create("clf@production")
    assert (followed.model, followed.alias, followed.ref) == ("clf", "production",
                                                              "clf@production")
    assert followed.id.startswith("clf")
    pinned = service.create("clf:2")
    assert (pinned.model, pinned.version, pinned.alias) == ("clf", 2, None)
    with pytest.raises(InvalidSpec):  # the reference and the fields disagree
        service.create("clf:2", version=1)
    for record in (followed, pinned):
        service.delete(record.id)
