"""Run the demo notebook remotely from the UI (local executor), watch it, cancel a job."""

from __future__ import annotations

import json
import re
import urllib.request

from nbformat.v4 import new_code_cell
from playwright.sync_api import Page, expect

from .conftest import screenshot
from .test_productionize import open_notebook, write_notebook
from .test_sidebar import open_bighead


def submit_from_dialog(page: Page, notebook, profile: str = "default"):
    notebook.locator('.jp-Toolbar [data-command="bighead:run-remotely"]').click()
    dialog = page.locator(".jp-Dialog")
    expect(dialog.get_by_label("Compute profile")).to_be_visible(timeout=30_000)
    dialog.get_by_label("Compute profile").select_option(profile)
    return dialog


def test_demo_notebook_runs_remotely_and_its_status_and_logs_show(page: Page, lab):
    notebook = open_notebook(page, lab, "bighead_starter.ipynb")
    dialog = submit_from_dialog(page, notebook)
    dialog.get_by_role("button", name="Submit").click()
    open_bighead(page, lab.lab_url())
    jobs = page.locator('.jp-bighead-sidebar [data-section="jobs"]')
    row = jobs.locator("li[data-job]").first
    expect(row).to_be_visible(timeout=30_000)
    expect(row).to_have_attribute("data-state", "succeeded", timeout=240_000)
    row.get_by_role("button").first.click()
    detail = row.get_by_test_id("job-detail")
    expect(detail.get_by_test_id("job-logs")).to_contain_text("[bighead worker] succeeded",
                                                              timeout=30_000)
    expect(detail.get_by_role("button", name="Open executed notebook")).to_be_visible()
    screenshot(page, "jobs-panel")
    assert (lab.workspace / "bighead_starter_production" / "production.json").is_file()
    # The run trained and registered the demo model: the Models section shows it.
    models = page.locator('.jp-bighead-sidebar [data-section="models"]')
    models.get_by_role("button", name="Refresh models").click()
    expect(models.locator('[data-model="booking_model"]')).to_be_visible(timeout=30_000)


def test_parameters_are_prefilled_and_a_running_job_can_be_cancelled(page: Page, lab):
    cell = new_code_cell("seconds = 120")
    cell.metadata["tags"] = ["parameters"]
    write_notebook(lab.workspace / "ui_slow.ipynb",
                   [cell, new_code_cell("import time\ntime.sleep(seconds)")])
    notebook = open_notebook(page, lab, "ui_slow.ipynb")
    dialog = submit_from_dialog(page, notebook)
    expect(dialog.get_by_label("Parameter seconds")).to_have_value("120")
    dialog.get_by_label("Parameter seconds").fill("300")
    dialog.get_by_role("button", name="Submit").click()
    open_bighead(page, lab.lab_url())
    row = page.locator('.jp-bighead-sidebar [data-section="jobs"] li[data-job]').filter(
        has_text="ui_slow").first
    expect(row).to_have_attribute("data-state", re.compile("queued|running"), timeout=30_000)
    row.get_by_role("button").first.click()
    row.get_by_role("button", name="Cancel").click()
    expect(row).to_have_attribute("data-state", "cancelled", timeout=60_000)


def test_a_schedule_from_the_dialog_appears_in_the_jobs_section(page: Page, lab):
    cell = new_code_cell("n = 1")
    cell.metadata["tags"] = ["parameters"]
    write_notebook(lab.workspace / "ui_nightly.ipynb", [cell, new_code_cell("print(n)")])
    notebook = open_notebook(page, lab, "ui_nightly.ipynb")
    dialog = submit_from_dialog(page, notebook)
    dialog.get_by_label("Schedule").fill("0 3 * * *")
    dialog.get_by_role("button", name="Submit").click()
    open_bighead(page, lab.lab_url())
    item = page.get_by_test_id("schedules").locator("[data-schedule='ui-nightly']")
    expect(item).to_contain_text("0 3 * * *", timeout=30_000)
    item.get_by_role("button", name="Delete schedule ui-nightly").click()
    expect(item).to_have_count(0, timeout=30_000)


def test_a_running_jobs_dask_cluster_shows_with_its_dashboard(page: Page, lab):
    write_notebook(lab.workspace / "ui_dask.ipynb",
                   [new_code_cell("import time\ntime.sleep(300)")])
    body = json.dumps({"notebook": "ui_dask.ipynb", "cluster": {"workers": 1}}).encode()
    request = urllib.request.Request(
        lab.url + "bighead/api/jobs", data=body, method="POST",
        headers={"Authorization": f"token {lab.token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as resp:
        job = json.loads(resp.read())
    open_bighead(page, lab.lab_url())
    row = page.locator(f'.jp-bighead-sidebar [data-section="jobs"] li[data-job="{job["id"]}"]')
    line = row.locator('[data-field="job-cluster"]')
    expect(line).to_have_attribute("data-cluster-state", "running", timeout=180_000)
    expect(line).to_contain_text("Dask: 1 worker")
    expect(line.get_by_role("link", name="dashboard")).to_have_attribute(
        "href", re.compile(r"^http://127\.0\.0\.1:\d+/status$"))
    expect(line.locator("code")).to_contain_text("tcp://127.0.0.1:")
    screenshot(page, "jobs-panel-cluster")
    row.get_by_role("button").first.click()
    row.get_by_role("button", name="Cancel").click()
    expect(row).to_have_attribute("data-state", "cancelled", timeout=60_000)
    expect(line).to_have_attribute("data-cluster-state", "stopped", timeout=30_000)
    expect(line.get_by_role("link", name="dashboard")).to_have_count(0)
