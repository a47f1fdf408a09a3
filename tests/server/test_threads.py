"""Core calls run in worker threads only once the heavy libraries are imported, so two
first imports never race (a race showed up as "partially initialized module 'pandas'")."""

from __future__ import annotations

import json
import subprocess
import sys

from jupyter_bighead_server import threads

CODE = """
import asyncio, json, sys
from jupyter_bighead_server import threads
before = sorted(m for m in ("pandas", "lightgbm", "sklearn") if m in sys.modules)
async def main():
    # Many concurrent first calls that each import pandas-heavy code.
    def work(i):
        import pandas as pd
        return int(pd.Series([i, 1]).sum())
    return await asyncio.gather(*(threads.in_thread(work, i) for i in range(8)))
results = asyncio.run(main())
print(json.dumps({"before": before, "results": results,
                  "loaded": [m for m in threads.HEAVY if m in sys.modules]}))
"""


def test_worker_threads_wait_for_the_heavy_imports():
    out = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True,
                         check=True, timeout=120).stdout
    data = json.loads(out.strip().splitlines()[-1])
    assert data["before"] == []  # importing the module itself stays light
    assert data["results"] == [i + 1 for i in range(8)]
    assert data["loaded"] == ["numpy", "pandas", "pyarrow.parquet", "sklearn.base", "lightgbm",
                              "plotly.graph_objects", "nbformat", "nbconvert"]


CORE = """
import asyncio, importlib, json, sys, threading
from jupyter_bighead_server import threads
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
    from jupyter_bighead.evaluation.report import EvaluationReport
    return EvaluationReport.__name__
async def main():
    return await asyncio.gather(*(threads.in_thread(first_request, i) for i in range(4)))
results = asyncio.run(main())
missing = [m for m in threads.core_modules() if m not in sys.modules]
print(json.dumps({"results": results, "missing": missing}))
"""


def test_first_requests_find_every_core_module_imported_before_they_run():
    out = subprocess.run([sys.executable, "-c", CORE], capture_output=True, text=True,
                         check=True, timeout=120).stdout
    data = json.loads(out.strip().splitlines()[-1])
    assert data["results"] == ["EvaluationReport"] * 4
    # Deterministic, unlike the race itself: no handler thread imports a core module.
    assert data["missing"] == []
    assert "jupyter_bighead.evaluation.report" in threads.core_modules()
