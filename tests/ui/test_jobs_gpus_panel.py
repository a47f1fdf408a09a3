"""The Jobs panel shows the GPUs a running job holds and a queued job's place.

A lab with one (fake) GPU id, ``c.BigheadApp.local_gpus = ["0"]``: the first of two
slow jobs asking for one GPU holds it, the second waits first in the GPU queue.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator

import pytest
from nbformat.v4 import new_code_cell
from playwright.sync_api import Page, expect

from .conftest import Lab, screenshot, start_lab
from .test_productionize import write_notebook
from .test_sidebar import open_bighead


@pytest.fixture(scope="module")
def gpu_lab(tmp_path_factory) -> Iterator[Lab]:
    """A lab whose local executor has one GPU, id ``0``, and a ``gpu`` profile."""
    root = tmp_path_factory.mktemp("lab-gpu")
    config_dir = root / "jupyter-config"  # start_lab's JUPYTER_CONFIG_DIR
    config_dir.mkdir(parents=True)
    (config_dir / "jupyter_server_config.json").write_text(json.dumps({"BigheadApp": {
        "local_gpus": ["0"],
        "profiles": {"default": {"cpu": "1", "memory": "1Gi"},
                     "gpu": {"cpu": "1", "memory": "1Gi", "gpu": 1}},
    }}))
    labs = start_lab(root)
    lab = next(labs)
    yield lab
    next(labs, None)  # stops the lab (and any job left running)


def _api(lab: Lab, path: str, body: dict | None = None) -> dict:
    req = urllib.request.Request(
        f"{lab.url}bighead/api/{path}", method="POST" if body is not None else "GET",
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"token {lab.token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read())


def test_a_running_job_shows_its_gpu_and_a_queued_one_its_place(page: Page, gpu_lab):
    write_notebook(gpu_lab.workspace / "gpu_slow.ipynb",
                   [new_code_cell("import time\ntime.sleep(300)")])
    body = {"notebook": "gpu_slow.ipynb", "profile": "gpu", "resources": {"gpu": 1}}
    first = _api(gpu_lab, "jobs", body)
    second = _api(gpu_lab, "jobs", body)
    try:
        assert first["state"] == "running" and second["state"] == "queued"
        open_bighead(page, gpu_lab.lab_url())
        jobs = page.locator('.jp-bighead-sidebar [data-section="jobs"]')
        holding = jobs.locator(f'li[data-job="{first["id"]}"] [data-field="job-gpus"]')
        expect(holding).to_have_text("GPU 0", timeout=30_000)
        expect(holding).to_have_attribute("data-gpus", "holding")
        waiting = jobs.locator(f'li[data-job="{second["id"]}"] [data-field="job-gpus"]')
        expect(waiting).to_have_text("queued #1 for 1 GPU", timeout=30_000)
        screenshot(page, "jobs-panel-gpus")
        # Cancelling the holder hands GPU 0 to the queued job; its place goes away.
        _api(gpu_lab, f"jobs/{first['id']}/cancel", {})
        expect(waiting).to_have_text("GPU 0", timeout=60_000)
        expect(jobs.locator(f'li[data-job="{first["id"]}"] [data-field="job-gpus"]')
               ).to_have_count(0, timeout=30_000)
    finally:
        for job in (second, first):
            _api(gpu_lab, f"jobs/{job['id']}/cancel", {})
