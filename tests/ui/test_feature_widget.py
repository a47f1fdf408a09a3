"""The FeatureLookup widget in a real notebook: pick a feature, insert its code."""

from __future__ import annotations

from nbformat.v4 import new_code_cell
from playwright.sync_api import Page, expect

from .conftest import screenshot
from .test_productionize import open_notebook, write_notebook


def test_feature_lookup_inserts_the_materialize_call_into_a_new_cell(page: Page, lab):
    write_notebook(lab.workspace / "ui_widget.ipynb", [new_code_cell(
        "import pandas as pd\n"
        "from jupyter_bighead.features import FeatureRepo\n"
        "from jupyter_bighead.widgets import FeatureLookup\n"
        "repo = FeatureRepo()\n"
        "labels = pd.read_parquet('data/labels.parquet')\n"
        "FeatureLookup(repo, spine=labels, entity='user_id', timestamp='ts', spine_name='labels')"
    )])
    notebook = open_notebook(page, lab, "ui_widget.ipynb")
    expect(page.locator("#jp-main-statusbar").get_by_text("Python 3 (ipykernel) | Idle")
           ).to_be_visible(timeout=90_000)
    notebook.locator(".jp-Cell").first.locator(".jp-InputArea-editor").click()
    page.keyboard.press("Shift+Enter")
    output = notebook.locator(".jp-Cell").first.locator(".jp-OutputArea-output")
    try:
        expect(output.first).to_be_visible(timeout=90_000)
    except AssertionError:
        screenshot(page, "feature-widget-noexec")
        raise
    select = notebook.locator(".widget-select-multiple select")
    try:
        expect(select).to_be_visible(timeout=60_000)
    except AssertionError:
        screenshot(page, "feature-widget-failure")
        text = output.first.inner_text()
        raise AssertionError(f"widget did not render; output: {text}") from None
    notebook.locator(".widget-text input").fill("views_7d_count")
    expect(select.locator("option")).to_have_count(1)
    select.select_option(index=0)
    notebook.get_by_role("button", name="Insert code").click()
    cells = notebook.locator(".jp-Cell")
    expect(cells).to_have_count(3, timeout=30_000)  # widget cell, inserted cell, trailing cell
    expect(cells.nth(1).locator(".jp-InputArea-editor")).to_contain_text(
        "training = repo.materialize(labels, ['views_7d_count'], entity='user_id', "
        "timestamp='ts')")
