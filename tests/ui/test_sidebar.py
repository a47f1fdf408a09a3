"""The Bighead sidebar in a real JupyterLab, in a real Chromium."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

import jupyter_bighead

from .conftest import screenshot

SIDEBAR_TAB = '.jp-SideBar.jp-mod-left .lm-TabBar-tab[data-id="bighead-sidebar"]'


def open_bighead(page: Page, url: str) -> None:
    page.goto(url)
    tab = page.locator(SIDEBAR_TAB)
    expect(tab).to_be_visible(timeout=60_000)
    if "lm-mod-current" not in (tab.get_attribute("class") or ""):
        tab.click()
    expect(page.get_by_role("region", name="Bighead")).to_be_visible()


def test_bighead_panel_opens_and_shows_the_server_status(page: Page, lab):
    open_bighead(page, lab.lab_url())
    tab = page.locator(SIDEBAR_TAB)
    expect(tab).to_have_attribute("title", "Bighead")
    status = page.get_by_test_id("bighead-status")
    expect(status.locator('[data-field="version"]')).to_have_text(jupyter_bighead.__version__)
    expect(status.locator('[data-field="home"]')).to_have_text(
        str((lab.workspace / ".bighead").resolve())
    )
    expect(status.locator('[data-field="executor"]')).to_have_text("local")
    expect(status.locator('[data-field="store-registry"]')).to_contain_text("sqlite:///")
    for section in ("models", "features", "jobs", "blocks"):
        expect(page.locator(f'.jp-bighead-sidebar [data-section="{section}"]')).to_be_visible()
    screenshot(page, "bighead-sidebar")


def test_demo_opens_the_starter_notebook(page: Page, lab):
    page.goto(lab.lab_url("lab/tree/bighead_starter.ipynb"))
    expect(page.locator(".jp-NotebookPanel")).to_be_visible(timeout=60_000)
    expect(page.get_by_role("heading", name="Welcome to jupyter-bighead")).to_be_visible()


def test_refresh_button_refetches_the_status(page: Page, lab):
    open_bighead(page, lab.lab_url())
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url) if "/bighead/api/status" in r.url else None)
    page.get_by_role("button", name="Refresh status").click()
    expect(page.get_by_test_id("bighead-status")).to_be_visible()
    page.wait_for_timeout(500)
    assert requests, "clicking Refresh did not call /bighead/api/status"


def test_panel_shows_a_clear_error_when_the_server_extension_is_missing(
    page: Page, lab_without_server_extension
):
    open_bighead(page, lab_without_server_extension.lab_url())
    alert = page.locator(".jp-bighead-sidebar section[aria-labelledby='jp-bighead-status-title'] "
                         "[role=alert]")
    expect(alert).to_be_visible(timeout=30_000)
    expect(alert).to_have_attribute("data-error-code", "server_extension_missing")
    expect(alert).to_contain_text(re.compile("server extension is not running"))
    expect(page.get_by_test_id("bighead-status")).to_have_count(0)
    screenshot(page, "bighead-sidebar-error")
