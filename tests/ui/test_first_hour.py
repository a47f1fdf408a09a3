"""The first hour in the lab, as a new user clicks through it (issue 13).

Older versions and the comparison of two versions in the Models panel, the executed
notebook of a job, a deployment stopped elsewhere, the server's own error messages,
and the layout at the default sidebar width.
"""

from __future__ import annotations

import json
import os
import re
import urllib.request

import numpy as np
import pandas as pd
from nbformat.v4 import new_code_cell
from playwright.sync_api import Page, expect

from .conftest import screenshot
from .test_productionize import write_notebook
from .test_sidebar import open_bighead


def api(lab, path: str, body: dict | None = None, method: str | None = None) -> dict:
    """Call the Bighead REST API of the lab's server, as another client would."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        f"{lab.url}bighead/api/{path}", data=data, method=method or ("POST" if data else "GET"),
        headers={"Authorization": f"token {lab.token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def register_versions(workspace, name: str, n: int) -> None:
    """``n`` versions of a small LightGBM classifier, each with its evaluation."""
    import lightgbm as lgb

    from jupyter_bighead.config import BigheadHome
    from jupyter_bighead.registry import Registry

    rng = np.random.default_rng(7)
    X = pd.DataFrame(rng.normal(size=(300, 3)), columns=["nights", "price", "rating"])
    y = (X.nights + rng.normal(size=300) > 0).astype(int)
    home = BigheadHome(workspace / ".bighead").ensure()
    registry = Registry(home.registry_uri, artifacts=home.artifacts)
    for i in range(n):
        model = lgb.LGBMClassifier(n_estimators=5 + 10 * i, verbose=-1).fit(X, y)
        registry.register(name, model, X_valid=X, y_valid=y)


def visible_at_its_centre(locator) -> bool:
    """Whether the element is the topmost one at its centre (not covered, not clipped)."""
    return locator.evaluate(
        """el => {
            const r = el.getBoundingClientRect();
            const top = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
            return top !== null && (top === el || el.contains(top));
        }"""
    )


def open_model(page: Page, lab, name: str):
    open_bighead(page, lab.lab_url())
    models = page.locator('.jp-bighead-sidebar [data-section="models"]')
    models.get_by_role("button", name="Refresh models").click()
    models.locator(f'[data-model="{name}"]').get_by_role("button", name=name).click()
    panel = page.locator(".jp-bighead-model-panel:not(.lm-mod-hidden)")
    expect(panel.get_by_test_id("version-detail")).to_be_visible(timeout=30_000)
    return panel


def test_an_older_version_and_the_comparison_of_two_versions_open(page: Page, lab):
    register_versions(lab.workspace, "ui_versions", 3)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    panel = open_model(page, lab, "ui_versions")
    detail = panel.get_by_test_id("version-detail")
    expect(detail).to_have_attribute("data-version", "3")
    expect(detail.locator(".jp-bighead-chart[data-chart='roc'] .js-plotly-plot")
           ).to_be_visible(timeout=30_000)

    table = panel.get_by_test_id("versions-table")
    table.locator("tr[data-version='1']").get_by_role("button", name="v1").click()
    expect(detail).to_have_attribute("data-version", "1", timeout=30_000)
    expect(detail.locator("h3")).to_contain_text("ui_versions v1")
    expect(detail.locator(".jp-bighead-chart[data-chart='roc'] .js-plotly-plot")
           ).to_be_visible(timeout=30_000)

    table.get_by_label("Select version 1 to compare").check()
    table.get_by_label("Select version 3 to compare").check()
    panel.get_by_role("button", name="Compare selected").click()
    compare = panel.get_by_test_id("compare-view")
    expect(compare.locator("h3")).to_have_text("Compare v1 → v3", timeout=30_000)
    expect(compare.get_by_test_id("compare-params")).to_contain_text("n_estimators")
    expect(detail).to_have_count(0)

    # Back from the comparison to a version: the panel is still alive.
    table.locator("tr[data-version='2']").get_by_role("button", name="v2").click()
    expect(detail).to_have_attribute("data-version", "2", timeout=30_000)
    expect(panel.locator("h2")).to_contain_text("ui_versions")
    screenshot(page, "models-older-version")
    assert not [e for e in errors if "not attached" in e], errors


def test_the_versions_table_shows_its_aliases_column(page: Page, lab):
    register_versions(lab.workspace, "ui_aliases", 2)
    api(lab, "models/ui_aliases/aliases/production", {"version": 1}, method="PUT")
    panel = open_model(page, lab, "ui_aliases")
    table = panel.get_by_test_id("versions-table")
    tag = table.locator("tr[data-version='1'] .jp-bighead-tag", has_text="production")
    expect(tag).to_be_visible()
    expect(panel.locator(".jp-bighead-chart[data-chart='trend'] .js-plotly-plot")
           ).to_be_visible(timeout=30_000)
    # The aliases column is on screen and nothing (the trend chart) is drawn over it.
    for cell in (table.locator("th", has_text="aliases"), tag):
        assert visible_at_its_centre(cell), cell
    screenshot(page, "models-versions-table")

    # An alias moved elsewhere (a notebook, the CLI) shows up without a click.
    api(lab, "models/ui_aliases/aliases/staging", {"version": 2}, method="PUT")
    expect(table.locator("tr[data-version='2'] .jp-bighead-tag", has_text="staging")
           ).to_be_visible(timeout=25_000)
    expect(panel.get_by_test_id("version-detail").locator("h3 .jp-bighead-tag",
                                                          has_text="staging")).to_be_visible()


def test_the_executed_notebook_of_a_job_opens_from_the_jobs_panel(page: Page, lab):
    write_notebook(lab.workspace / "ui_executed.ipynb",
                   [new_code_cell("print('hello from the job', 6 * 7)")])
    job = api(lab, "jobs", {"notebook": "ui_executed.ipynb", "productionize": True})
    open_bighead(page, lab.lab_url())
    row = page.locator(f'.jp-bighead-sidebar [data-section="jobs"] li[data-job="{job["id"]}"]')
    # The panel follows the job submitted elsewhere without a click on refresh.
    expect(row).to_have_attribute("data-state", "succeeded", timeout=180_000)
    row.get_by_role("button").first.click()
    detail = row.get_by_test_id("job-detail")
    detail.get_by_role("button", name="Open executed notebook").click()

    tab = page.locator(".lm-TabBar-tab.lm-mod-current", has_text=f"{job['id']}.ipynb")
    expect(tab).to_be_visible(timeout=30_000)
    notebook = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")
    expect(notebook.locator(".jp-OutputArea-output")).to_contain_text("hello from the job 42",
                                                                      timeout=30_000)
    assert (lab.workspace / "ui_executed_production" / "runs" / f"{job['id']}.ipynb").is_file()
    expect(detail.get_by_role("alert")).to_have_count(0)
    screenshot(page, "jobs-executed-notebook")
    # Job details say how long the run took.
    expect(detail.locator('[data-field="duration"]')).to_have_text(re.compile(r"^\d+ (s|min)"))


def deploy_from_the_model_view(page: Page, lab, name: str):
    register_versions(lab.workspace, name, 1)
    panel = open_model(page, lab, name)
    detail = panel.get_by_test_id("version-detail")
    detail.get_by_role("button", name="Deploy…").click()
    detail.get_by_role("dialog", name="Deploy model").get_by_role(
        "button", name="Deploy", exact=True).click()
    endpoint = detail.get_by_test_id("deploy-endpoint")
    expect(endpoint.locator('[data-field="deploy-status"]')).to_have_text("running",
                                                                          timeout=90_000)
    return endpoint


def test_try_it_shows_the_model_servers_own_message(page: Page, lab):
    endpoint = deploy_from_the_model_view(page, lab, "ui_tryit_model")
    # A request the model server refuses: its own message, not "400 Bad Request".
    tryit = endpoint.get_by_test_id("deploy-tryit")
    tryit.get_by_label("Request body").fill(json.dumps({"instances": [{"nights": 1.0,
                                                                       "price": 2.0}]}))
    tryit.get_by_role("button", name="Send").click()
    expect(tryit.get_by_role("alert")).to_have_text("missing features: rating", timeout=30_000)
    screenshot(page, "deploy-tryit-error")
    endpoint.get_by_role("button", name="Stop", exact=True).click()
    expect(endpoint.locator('[data-field="deploy-status"]')).to_have_text("stopped")


def test_a_deployment_stopped_in_the_sidebar_shows_stopped_in_the_model_view(page: Page, lab):
    endpoint = deploy_from_the_model_view(page, lab, "ui_stop_model")
    status = endpoint.locator('[data-field="deploy-status"]')
    open_sidebar = page.locator('.jp-SideBar.jp-mod-left .lm-TabBar-tab[data-id="bighead-sidebar"]')
    if "lm-mod-current" not in (open_sidebar.get_attribute("class") or ""):
        open_sidebar.click()
    deployments = page.locator('.jp-bighead-sidebar [data-section="deployments"]')
    row = deployments.locator("[data-deployment]", has_text="ui_stop_model")
    expect(row).to_have_count(1, timeout=30_000)
    row.get_by_role("button", name="ui_stop_model v1").click()
    row.get_by_role("button", name="Stop", exact=True).click()
    expect(row).to_have_count(0, timeout=30_000)
    expect(status).to_have_text("stopped", timeout=15_000)
    expect(endpoint.get_by_test_id("deploy-tryit")).to_have_count(0)
    screenshot(page, "deploy-stopped-elsewhere")


def test_block_descriptions_read_as_text_at_the_default_sidebar_width(page: Page, lab):
    open_bighead(page, lab.lab_url())
    section = page.locator('.jp-bighead-sidebar [data-section="blocks"]')
    row = section.locator('[data-block="DateParts"]')
    expect(row).to_be_visible(timeout=30_000)
    expect(row).not_to_contain_text("``")
    row.get_by_role("button", name="DateParts").click()
    detail = section.locator('[data-block-detail="DateParts"]')
    doc = detail.locator(".jp-bighead-block-doc")
    expect(doc).to_contain_text("The source column is replaced by its parts.")
    expect(doc.locator("code", has_text="__month")).to_be_visible()
    expect(doc).not_to_contain_text("``")
    # Nothing is cut off at the right edge of the sidebar.
    sidebar = page.locator(".jp-bighead-sidebar").bounding_box()
    right = sidebar["x"] + sidebar["width"]
    for button in detail.get_by_role("button").all():
        box = button.bounding_box()
        assert box["x"] + box["width"] <= right + 1, button.inner_text()
    # Every column of the parameters table is on screen, not clipped by the sidebar.
    headers = detail.locator(".jp-bighead-table th")
    expect(headers).to_have_count(3)
    for header in headers.all():
        assert visible_at_its_centre(header), header.inner_text()
    screenshot(page, "blocks-detail-sidebar")


def test_productionize_after_run_remotely_asks_only_about_files_edited_by_hand(
    page: Page, lab
):
    write_notebook(lab.workspace / "ui_again.ipynb", [new_code_cell("x = 1"),
                                                      new_code_cell("print(x)")])
    # What "Run remotely" does: productionize (writing the outputs), then submit.
    api(lab, "jobs", {"notebook": "ui_again.ipynb", "productionize": True})
    page.goto(lab.lab_url("lab/tree/ui_again.ipynb"))
    notebook = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")
    expect(notebook.locator(".jp-Cell").first).to_be_visible(timeout=60_000)
    button = notebook.locator('.jp-Toolbar [data-command="bighead:productionize"]')

    button.click()
    banner = notebook.locator(".jp-bighead-banner-success")
    expect(banner).to_contain_text("ui_again_production/ui_again.ipynb", timeout=30_000)
    expect(page.locator(".jp-Dialog")).to_have_count(0)
    # The source notebook stays in front; no second tab of the same name, no kernel.
    expect(page.locator(".lm-TabBar-tab", has_text="ui_again.ipynb")).to_have_count(1)
    banner.get_by_role("button", name="Open production notebook").click()
    expect(page.locator(".lm-TabBar-tab", has_text="ui_again.ipynb")).to_have_count(2)

    # A hand edit to the module would be lost: now, and only now, it asks, in UI words.
    module = lab.workspace / "ui_again_production" / "ui_again.py"
    module.write_text(module.read_text() + "\n# tuned by hand\n")
    written = (lab.workspace / "ui_again_production" / "production.json").stat().st_mtime
    os.utime(module, (written + 5, written + 5))
    page.locator(".lm-TabBar-tab", has_text="ui_again.ipynb").first.click()
    notebook = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")
    notebook.locator('.jp-Toolbar [data-command="bighead:productionize"]').click()
    dialog = page.locator(".jp-Dialog")
    expect(dialog).to_contain_text("Replace the edited production files?", timeout=30_000)
    expect(dialog).to_contain_text("ui_again_production/ui_again.py")
    expect(dialog).not_to_contain_text("force")
    screenshot(page, "productionize-replace-dialog")
    dialog.get_by_role("button", name="Cancel").click()
    assert "# tuned by hand" in module.read_text()


def test_the_jobs_refresh_button_refreshes_schedules_too(page: Page, lab):
    write_notebook(lab.workspace / "ui_refresh.ipynb", [new_code_cell("print(1)")])
    open_bighead(page, lab.lab_url())
    jobs = page.locator('.jp-bighead-sidebar [data-section="jobs"]')
    expect(jobs).to_be_visible()
    item = api(lab, "schedules", {"notebook": "ui_refresh.ipynb", "schedule": "0 4 * * *"})
    jobs.get_by_role("button", name="Refresh jobs").click()
    # At once, not at the next poll.
    row = page.get_by_test_id("schedules").locator(f"[data-schedule='{item['name']}']")
    expect(row).to_contain_text("0 4 * * *", timeout=3_000)
    api(lab, f"schedules/{item['name']}", method="DELETE")
    jobs.get_by_role("button", name="Refresh jobs").click()
    expect(row).to_have_count(0, timeout=3_000)


def test_run_remotely_asks_before_replacing_a_production_file_edited_by_hand(page: Page, lab):
    write_notebook(lab.workspace / "ui_remote_edit.ipynb", [new_code_cell("print(2)")])
    api(lab, "notebooks/productionize", {"path": "ui_remote_edit.ipynb"})
    module = lab.workspace / "ui_remote_edit_production" / "ui_remote_edit.py"
    module.write_text(module.read_text() + "\n# tuned by hand\n")
    written = (module.parent / "production.json").stat().st_mtime
    os.utime(module, (written + 5, written + 5))

    page.goto(lab.lab_url("lab/tree/ui_remote_edit.ipynb"))
    notebook = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")
    expect(notebook.locator(".jp-Cell").first).to_be_visible(timeout=60_000)
    notebook.locator('.jp-Toolbar [data-command="bighead:run-remotely"]').click()
    dialog = page.locator(".jp-Dialog")
    expect(dialog).to_contain_text("Replace the edited production files?", timeout=30_000)
    expect(dialog).to_contain_text("ui_remote_edit_production/ui_remote_edit.py")
    dialog.get_by_role("button", name="Cancel").click()
    expect(page.locator(".jp-Dialog")).to_have_count(0)
    assert "# tuned by hand" in module.read_text()
    jobs = api(lab, "jobs?limit=100")["items"]
    assert not [j for j in jobs if "ui_remote_edit" in (j["spec"]["notebook"] or "")]
