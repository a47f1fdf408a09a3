"""The job worker (what runs in a job's process or pod) loads no executor: the runtime
is apart from the control plane that starts and watches it."""

from __future__ import annotations

import json
import subprocess
import sys

CONTROL_PLANE = ("jupyter_bighead.jobs.executor", "jupyter_bighead.jobs.local",
                 "jupyter_bighead.jobs.kubernetes", "jupyter_bighead.jobs.schedules",
                 "jupyter_bighead.jobs.sweeps_service", "jupyter_bighead.serving")


def _loaded_by(statement: str) -> list[str]:
    code = (f"{statement}\nimport json, sys\n"
            "print(json.dumps(sorted(m for m in sys.modules if m.startswith('jupyter_bighead'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_the_worker_loads_no_executor():
    loaded = _loaded_by("import jupyter_bighead.jobs.worker")
    assert "jupyter_bighead.jobs.worker" in loaded
    assert not [m for m in loaded if m.startswith(CONTROL_PLANE)], loaded


def test_log_metric_in_a_notebook_loads_no_executor():
    loaded = _loaded_by("from jupyter_bighead.jobs import log_metric")
    assert not [m for m in loaded if m.startswith(CONTROL_PLANE)], loaded


def test_the_package_still_offers_every_name():
    loaded = _loaded_by("from jupyter_bighead.jobs import *\n"
                        "assert callable(sweep) and callable(get_executor) and Executor\n"
                        "import jupyter_bighead.jobs.sweeps_service\n"
                        "from jupyter_bighead.jobs import sweep as s\nassert callable(s)")
    assert "jupyter_bighead.jobs.executor" in loaded
