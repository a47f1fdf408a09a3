"""A report on the executed notebook the lab opened from the Jobs panel has that job's cards."""

from __future__ import annotations

import json

import pytest

from ..notebooks.helpers import code, write_nb
from .test_jobs import call, wait_final


@pytest.fixture
def jp_server_config(jp_root_dir):
    return {
        "ServerApp": {"jpserver_extensions": {"jupyter_bighead_server": True}},
        "BigheadApp": {"home": str(jp_root_dir / ".bighead")},
    }


TRAIN = """\
import lightgbm as lgb
import numpy as np
import jupyter_bighead as bh
X = np.arange(40.0).reshape(-1, 1)
model = lgb.LGBMClassifier(n_estimators=2, min_child_samples=2, verbose=-1).fit(X, X[:, 0] > 19)
mv = bh.register("booking_model", model)
print(f"registered {mv.name} v{mv.version}")
"""


async def test_a_report_on_the_opened_executed_notebook_has_the_jobs_model_cards(
    jp_fetch, jp_root_dir
):
    write_nb(jp_root_dir / "train.ipynb", [code(TRAIN)])
    job = await call(jp_fetch, "jobs", method="POST", body={"notebook": "train.ipynb"})
    job = await wait_final(jp_fetch, job["id"])
    assert job["state"] == "succeeded", json.dumps(job)[:3000]

    opened = await call(jp_fetch, "jobs", job["id"], "notebook", method="POST")
    copy = jp_root_dir / opened["path"]
    assert copy.name == f"{job['id']}.ipynb"
    assert json.loads(copy.read_text("utf-8"))["metadata"]["bighead"]["job_id"] == job["id"]

    written = await call(jp_fetch, "notebooks", "report", method="POST",
                         body={"path": opened["path"]})
    page = (jp_root_dir / written["report"]).read_text("utf-8")
    assert "registered booking_model v1" in page
    assert "Model card: booking_model v1" in page
