"""One-click registration from a real notebook, then the Models panel with real curves."""

from __future__ import annotations

import re

from nbformat.v4 import new_code_cell
from playwright.sync_api import Page, expect

from .conftest import screenshot
from .test_productionize import open_notebook, write_notebook

TRAIN = """\
import lightgbm as lgb
import pandas as pd
import jupyter_bighead as bh
from jupyter_bighead.features import FeatureRepo

repo = FeatureRepo()
names = ['bookings_30d_count', 'bookings_90d_sum', 'views_7d_count', 'views_30d_mean_duration']
labels = pd.read_parquet('data/labels.parquet')
training = repo.materialize(labels, names, entity='user_id', timestamp='ts')
cut = training.ts.quantile(0.8)
train, valid = training[training.ts < cut], training[training.ts >= cut]
model = lgb.LGBMClassifier(n_estimators=50, verbose=-1).fit(train[names], train.label)
bh.evaluate(model, valid[names], valid.label, features=[n + '@1' for n in names])
"""


def test_register_with_one_click_then_see_curves_in_the_models_panel(page: Page, lab):
    write_notebook(lab.workspace / "ui_register.ipynb", [new_code_cell(TRAIN)])
    notebook = open_notebook(page, lab, "ui_register.ipynb")
    expect(page.locator("#jp-main-statusbar").get_by_text("Python 3 (ipykernel) | Idle")
           ).to_be_visible(timeout=90_000)
    notebook.locator(".jp-Cell").first.locator(".jp-InputArea-editor").click()
    page.keyboard.press("Shift+Enter")
    name_box = notebook.locator(".widget-text input").first
    expect(name_box).to_be_visible(timeout=120_000)
    # The evaluation charts render inline (Plotly outputs).
    expect(notebook.locator(".js-plotly-plot").first).to_be_visible(timeout=60_000)
    name_box.fill("ui_booking_model")
    notebook.get_by_role("button", name="Register").click()
    expect(notebook.get_by_text(re.compile(r"Registered ui_booking_model v1"))).to_be_visible(
        timeout=60_000)
    notebook.get_by_role("button", name="Open in Models panel").click()

    panel = page.locator(".jp-bighead-model-panel:not(.lm-mod-hidden)")
    expect(panel).to_be_visible(timeout=30_000)
    expect(panel.get_by_test_id("versions-table").locator("tr[data-version='1']")
           ).to_be_visible()
    detail = panel.get_by_test_id("version-detail")
    expect(detail.get_by_role("button", name="ui_register.ipynb")).to_be_visible()
    expect(detail.get_by_test_id("version-features")).to_contain_text("views_7d_count@1")
    for chart in ("pr", "roc", "calibration"):
        expect(detail.locator(f".jp-bighead-chart[data-chart='{chart}'] .js-plotly-plot")
               ).to_be_visible(timeout=30_000)
    # Real curves: the ROC trace has many points, not a placeholder.
    points = detail.locator(".jp-bighead-chart[data-chart='roc'] .scatterlayer .trace").first
    expect(points).to_be_visible()
    detail.get_by_role("button", name="Set production").click()
    expect(detail.locator("h3 .jp-bighead-tag", has_text="production")).to_be_visible()
    screenshot(page, "models-panel")

    # The sidebar lists the model with its alias.
    from .test_sidebar import open_bighead

    open_bighead(page, lab.lab_url())
    models = page.locator('.jp-bighead-sidebar [data-section="models"]')
    row = models.locator('[data-model="ui_booking_model"]')
    expect(row).to_contain_text("production→v1", timeout=30_000)
