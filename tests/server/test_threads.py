"""The core is imported once, on first use, in one thread that every first request
shares, so two first imports never race (a race showed up as "partially initialized
module 'pandas'")."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading

from jupyter_bighead_server.threads import HEAVY, CoreImports, in_thread


def test_nothing_is_imported_before_first_use_and_concurrent_callers_share_one_import():
    calls, names = [], []
    gate = threading.Event()

    def modules():
        calls.append(threading.current_thread().name)
        gate.wait(10)  # hold the import so that every caller arrives while it runs
        names.append("json")
        return ["json"]

    imports = CoreImports(modules)
    assert not imports.started and not imports.done and calls == []

    async def main():
        waiters = [asyncio.ensure_future(imports.ready()) for _ in range(8)]
        await asyncio.sleep(0.2)
        assert imports.started and not imports.done
        assert not any(w.done() for w in waiters)  # all wait for the same import
        gate.set()
        await asyncio.gather(*waiters)

    asyncio.run(main())
    assert imports.done
    assert calls == ["bighead-imports"] and names == ["json"]  # one import, one thread
    asyncio.run(imports.ready())  # later callers return at once
    assert len(calls) == 1


def test_a_module_that_fails_to_import_does_not_stop_the_others():
    imports = CoreImports(lambda: ["no_such_module_xyz", "json"])
    assert imports.wait(30)
    assert "json" in sys.modules and imports.done


CODE = """
import asyncio, importlib, json, sys, threading
from jupyter_bighead_server.threads import CoreImports, in_thread, core_modules, HEAVY
before = sorted(m for m in ("pandas", "lightgbm", "sklearn", "jupyter_bighead.registry")
                if m in sys.modules)
imports = CoreImports()
barrier = threading.Barrier(4)  # the default executor has at least 5 threads
# What the Models panel's first requests import lazily, a package and its submodule
# each, in opposite orders: the import-lock deadlock Python breaks with a partially
# initialized module.
ORDERS = [("jupyter_bighead.evaluation.report", "jupyter_bighead.evaluation"),
          ("jupyter_bighead.evaluation", "jupyter_bighead.evaluation.report"),
          ("jupyter_bighead.registry.api", "jupyter_bighead.registry.core"),
          ("jupyter_bighead.registry.core", "jupyter_bighead.registry.api")]
def first_request(i):
    barrier.wait()
    for name in ORDERS[i]:
        importlib.import_module(name)
    import pandas as pd
    from jupyter_bighead.evaluation.report import EvaluationReport
    return EvaluationReport.__name__ + str(int(pd.Series([i, 1]).sum()))
async def request(i):
    await imports.ready()  # what every Bighead handler's prepare() awaits
    return await in_thread(first_request, i)
async def main():
    return await asyncio.gather(*(request(i) for i in range(4)))
results = asyncio.run(main())
missing = [m for m in core_modules() if m not in sys.modules]
print(json.dumps({"before": before, "results": results, "missing": missing,
                  "loaded": [m for m in HEAVY if m in sys.modules]}))
"""


def test_first_requests_find_every_core_module_imported_before_they_run():
    out = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True,
                         check=True, timeout=180).stdout
    data = json.loads(out.strip().splitlines()[-1])
    assert data["before"] == []  # importing the extension's modules stays light
    assert data["results"] == [f"EvaluationReport{i + 1}" for i in range(4)]
    # Deterministic, unlike the race itself: no handler thread imports a core module.
    assert data["missing"] == []
    assert data["loaded"] == list(HEAVY)


def test_in_thread_runs_off_the_loop_without_the_callers_context():
    import contextvars

    var: contextvars.ContextVar[str] = contextvars.ContextVar("var", default="unset")

    async def main():
        var.set("handler")
        return await in_thread(lambda: (threading.current_thread().name, var.get()))

    name, seen = asyncio.run(main())
    assert name != threading.main_thread().name
    assert seen == "unset"


def test_the_first_use_imports_what_the_server_needs_and_not_the_tools():
    """Not the contract suites (they import pytest), the command line, the demo, the
    widgets or the job worker: a fresh process imports the core as the first Bighead
    request does, then looks."""
    code = """
import sys
import jupyter_bighead
from jupyter_bighead_server.threads import CoreImports, core_modules
before = set(sys.modules)
listed = core_modules()
assert set(sys.modules) == before, sorted(set(sys.modules) - before)  # listing imports nothing
assert "jupyter_bighead.registry.core" in listed and "jupyter_bighead.jobs.local" in listed
assert CoreImports().wait(300)
assert "jupyter_bighead.registry.core" in sys.modules
tools = [m for m in sys.modules if m.split(".")[0] in ("pytest", "_pytest", "hypothesis")
         or m.startswith(("jupyter_bighead.testing", "jupyter_bighead.cli",
                          "jupyter_bighead.demo", "jupyter_bighead.widgets",
                          "jupyter_bighead.jobs.worker"))]
assert not tools, tools
"""
    subprocess.run([sys.executable, "-c", code], check=True, timeout=300)
