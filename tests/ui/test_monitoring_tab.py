"""The Monitoring tab in a real browser: a model with a reference and logged traffic
whose ``amount`` shifted shows the drift table with ``amount`` on top and its
reference-vs-current histogram on click; a drift alert shows in the notification center."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from jupyter_bighead.monitoring import run_check

from ..monitoring.helpers import seed_monitored_model
from .conftest import screenshot
from .test_sidebar import open_bighead


def test_monitoring_tab_shows_the_shifted_feature_and_an_alert_notifies(page: Page, lab):
    home = lab.workspace / ".bighead"
    seeded = seed_monitored_model(home, "ui_monitored", bare=None)
    try:
        result = run_check("ui_monitored@production", "1d", registry=seeded["reg"], home=home)
    finally:
        seeded["reg"].close()
    assert result.alert_id is not None and result.drift is not None
    assert result.drift.flagged("alert") == ["amount"]

    open_bighead(page, lab.lab_url())
    # The alert reaches JupyterLab's notification center. The list, not a toast: the
    # shared lab's other alerts come first, and JupyterLab may queue toasts past a few.
    page.locator(".jp-Notification-Status").click()
    center = page.locator(".jp-Notification-Center")
    expect(center.locator(".jp-Notification-List-Item",
                          has_text="Bighead alert: ui_monitored v1")).to_contain_text(
        "drift in amount", timeout=60_000)
    page.keyboard.press("Escape")

    models = page.locator('.jp-bighead-sidebar [data-section="models"]')
    models.get_by_role("button", name="Refresh models").click()
    models.locator('[data-model="ui_monitored"]').get_by_role("button").first.click()
    panel = page.locator(".jp-bighead-model-panel:not(.lm-mod-hidden)")
    detail = panel.get_by_test_id("version-detail")
    expect(detail).to_be_visible(timeout=30_000)
    detail.get_by_role("tab", name="Monitoring").click()

    tab = detail.get_by_test_id("monitoring-tab")
    expect(tab.get_by_test_id("monitoring-status")).to_have_text("alert", timeout=60_000)
    rows = tab.get_by_test_id("drift-table").locator("tbody tr")
    expect(rows.first).to_have_attribute("data-feature", "amount")
    expect(rows.first).to_have_attribute("data-severity", "alert")
    for stable in ("sessions", "tenure_days"):
        expect(tab.locator(f"tr[data-feature='{stable}']")).not_to_have_attribute(
            "data-severity", "alert")
    expect(rows.first.locator("svg.jp-bighead-sparkline polyline").first).to_be_attached()
    expect(tab.locator(".jp-bighead-chart[data-chart='monitor-score'] .js-plotly-plot")
           ).to_be_visible(timeout=30_000)

    rows.first.get_by_role("button", name="amount").click()
    histogram = tab.get_by_test_id("feature-histogram")
    expect(histogram).to_have_attribute("data-feature", "amount")
    expect(histogram.locator(".js-plotly-plot")).to_be_visible(timeout=30_000)
    expect(histogram.locator(".legendtext", has_text="reference")).to_be_visible()
    expect(histogram.locator(".legendtext", has_text="current")).to_be_visible()
    expect(tab.get_by_test_id("alert-history").locator(f"[data-alert='{result.alert_id}']")
           ).to_be_visible()
    screenshot(page, "monitoring-tab")
