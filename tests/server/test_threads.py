"""Core calls run in worker threads only once the heavy libraries are imported, so two
first imports never race (a race showed up as "partially initialized module 'pandas'")."""

from __future__ import annotations

import json
import subprocess
import sys

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
                              "plotly.graph_objects"]
