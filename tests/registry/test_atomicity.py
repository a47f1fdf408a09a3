"""Concurrency and crash safety of registration, on both stores.

Workers are separate Python processes running ``_register_worker.py``, so each has
its own connections, exactly like eight kernels registering at once.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from jupyter_bighead.errors import NotFound
from jupyter_bighead.registry import Registry, register_flavor
from jupyter_bighead.registry._hooks import CRASH_ENV, POINTS

ROOT = Path(__file__).resolve().parents[2]
WORKER = str(Path(__file__).with_name("_register_worker.py"))


@pytest.fixture(autouse=True)
def tiny_flavor():
    """Lets this process load what the workers registered."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("_register_worker", WORKER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    register_flavor(module._tiny_flavor())
    yield
    from jupyter_bighead.registry import flavors

    flavors._FLAVORS.pop("test.tiny", None)


def _env(crash_at: str | None = None) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    env.pop(CRASH_ENV, None)
    if crash_at:
        env[CRASH_ENV] = crash_at
    return env


def test_eight_processes_registering_one_name_get_eight_distinct_versions(registry_args,
                                                                         tmp_path):
    location, artifacts = registry_args
    Registry(location, artifacts).close()  # the schema exists, as in a real deployment
    go = tmp_path / "go"
    procs = [
        subprocess.Popen([sys.executable, WORKER, location, artifacts or "", "race", str(go)],
                         env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(8)
    ]
    deadline = time.monotonic() + 120
    while len(list(tmp_path.glob("go.ready.*"))) < 8 and time.monotonic() < deadline:
        if any(p.poll() is not None for p in procs):
            break
        time.sleep(0.02)
    go.touch()
    outputs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), [err for _, err in outputs]
    assert sorted(int(out) for out, _ in outputs) == list(range(1, 9))
    reg = Registry(location, artifacts)
    listed = reg.versions("race")
    assert [v.version for v in listed] == list(range(8, 0, -1))
    for v in listed:  # every one is complete and loadable
        reg.load("race", version=v.version)


@pytest.mark.parametrize("point", POINTS)
def test_a_registration_killed_mid_way_leaves_nothing_half_written(registry_args, point):
    location, artifacts = registry_args
    reg = Registry(location, artifacts)

    def register(crash_at=None):
        return subprocess.run([sys.executable, WORKER, location, artifacts or "", "crashy"],
                              env=_env(crash_at), capture_output=True, text=True, timeout=120)

    done = register(crash_at=point)
    assert done.returncode == 77, done.stderr
    with pytest.raises(NotFound):
        reg.model("crashy")
    assert reg.models().total == 0
    # One leftover folder (staged or published), referenced by nothing; collected.
    leftovers = [*reg.artifacts.root.glob(".staging/*"), *reg.artifacts.root.glob("crashy/*")]
    assert len(leftovers) == 1
    assert len(reg.collect_garbage(older_than_s=0)) == 1
    assert not [*reg.artifacts.root.glob(".staging/*"), *reg.artifacts.root.glob("crashy/*")]

    done = register()
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "1"
    assert [v.version for v in reg.versions("crashy")] == [1]
    reg.load("crashy", version=1)
