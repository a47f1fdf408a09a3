"""The Features section of the Bighead sidebar, against the demo workspace's catalog."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from .conftest import screenshot
from .test_sidebar import open_bighead


def test_search_a_feature_read_its_definition_and_preview_a_value(page: Page, lab):
    open_bighead(page, lab.lab_url())
    section = page.locator('.jp-bighead-sidebar [data-section="features"]')
    rows = section.locator(".jp-bighead-feature-row")
    expect(rows.first).to_be_visible(timeout=30_000)
    total = rows.count()
    assert total >= 3

    section.get_by_label("Search features").fill("views")
    expect(rows).not_to_have_count(total)
    for name in rows.evaluate_all("rows => rows.map(r => r.dataset.feature)"):
        assert "views" in name

    section.get_by_label("Search features").fill("bookings_30d_count")
    expect(rows).to_have_count(1)
    rows.first.get_by_role("button").click()
    detail = page.get_by_test_id("feature-detail")
    expect(detail.locator('[data-field="agg"]')).to_have_text("count")
    expect(detail.locator('[data-field="window"]')).to_have_text("30d")
    expect(detail.locator(".jp-bighead-versions li[data-version]")).to_have_count(1)

    import pandas as pd

    from jupyter_bighead.features import FeatureRepo

    labels = pd.read_parquet(lab.workspace / "data" / "labels.parquet")
    user, at = int(labels.user_id.iloc[-1]), labels.ts.iloc[-1]
    detail.get_by_label("Entity id").fill(str(user))
    detail.get_by_label("As of time").fill(at.strftime("%Y-%m-%dT%H:%M:%S"))
    detail.get_by_role("button", name="Preview").click()
    value = page.get_by_test_id("feature-preview-value")
    expect(value).to_be_visible(timeout=30_000)
    expected = FeatureRepo(lab.workspace / ".bighead" / "features").online(
        [user], ["bookings_30d_count"], at=at)["bookings_30d_count"].iloc[0]
    expect(value).to_contain_text(re.compile(rf"= {int(expected)}$"))
    screenshot(page, "features-panel")
