"""The service asks an executor what it declares (``capabilities``), never probes its
methods: one that declares nothing has no schedules, whatever methods it has."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest

from jupyter_bighead import plugins
from jupyter_bighead.config import BigheadHome
from jupyter_bighead.errors import InvalidSpec
from jupyter_bighead_server.service import BigheadConfig, BigheadService


class Undeclared:
    """Has every schedule method, declares nothing."""

    name = "undeclared"
    capabilities: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, **options: Any) -> None:
        self.calls: list[str] = []

    def schedules(self) -> list[dict[str, Any]]:
        self.calls.append("schedules")
        return [{"name": "probed"}]

    def schedule(self, spec: Any, user: str) -> dict[str, Any]:
        self.calls.append("schedule")
        return {"name": "probed"}

    def unschedule(self, name: str) -> None:
        self.calls.append("unschedule")

    def start_scheduler(self) -> None:
        self.calls.append("start_scheduler")


class Declared(Undeclared):
    name = "declared"
    capabilities = frozenset({"schedules", "scheduler"})


@pytest.fixture(params=[Undeclared, Declared])
def service(request, tmp_path, monkeypatch):
    cls = request.param
    monkeypatch.setattr(plugins, "create", lambda family, name, options, **context: cls(
        **options, **context))
    home = BigheadHome(tmp_path / "home").ensure()
    (home.root / "schedules").mkdir(exist_ok=True)
    (home.root / "schedules" / "nightly.json").write_text("{}")
    svc = BigheadService(BigheadConfig(home=home, root_dir=tmp_path, executor=cls.name))
    (tmp_path / "train.ipynb").write_text("{}")
    return svc


def test_only_a_declared_capability_is_used(service):
    executor = service.jobs()
    declared = "schedules" in executor.capabilities
    assert service.schedules()["items"] == ([{"name": "probed"}] if declared else [])
    body = {"notebook": "train.ipynb", "schedule": "0 3 * * *"}
    if declared:
        service.schedule_job(body, "ann")
        service.unschedule("nightly")
    else:
        with pytest.raises(InvalidSpec, match="cannot schedule"):
            service.schedule_job(body, "ann")
        with pytest.raises(InvalidSpec, match="has no schedules"):
            service.unschedule("nightly")
    service.wake_scheduler()
    expected = ["schedules", "schedule", "unschedule", "start_scheduler"] if declared else []
    assert executor.calls == expected


def test_nothing_in_the_server_extension_probes_a_plugin_with_hasattr():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "server_ext" / "jupyter_bighead_server"
    probing = [str(p.relative_to(root)) for p in root.rglob("*.py")
               if "hasattr(" in p.read_text("utf-8")]
    assert probing == []
