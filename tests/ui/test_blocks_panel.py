"""The Blocks section: search the catalog, read a block, insert its snippet into a notebook."""

from __future__ import annotations

from nbformat.v4 import new_code_cell
from playwright.sync_api import Page, expect

from .conftest import screenshot
from .test_productionize import open_notebook, write_notebook
from .test_sidebar import SIDEBAR_TAB


def test_insert_a_block_snippet_from_the_blocks_panel(page: Page, lab):
    write_notebook(lab.workspace / "ui_blocks.ipynb", [new_code_cell("import pandas as pd")])
    notebook = open_notebook(page, lab, "ui_blocks.ipynb")
    notebook.locator(".jp-Cell").first.locator(".jp-InputArea-editor").click()
    page.locator(SIDEBAR_TAB).click()
    section = page.locator('.jp-bighead-sidebar [data-section="blocks"]')
    rows = section.locator(".jp-bighead-feature-row")
    expect(rows.first).to_be_visible(timeout=30_000)
    total = rows.count()
    assert total >= 10  # the built-in blocks

    section.get_by_label("Search blocks").fill("impute")
    expect(rows).to_have_count(1)
    rows.first.get_by_role("button", name="Impute").click()
    detail = section.locator('[data-block-detail="Impute"]')
    expect(detail.locator('[data-field="source"]')).to_have_text("builtin")
    expect(detail.locator('[data-param="strategy"]')).to_be_visible()
    snippet = detail.locator(".jp-bighead-snippet").inner_text()
    assert "Impute(" in snippet
    detail.get_by_role("button", name="Insert into notebook").click()
    expect(detail.get_by_role("status")).to_contain_text("ui_blocks.ipynb")

    cells = notebook.locator(".jp-Cell")
    expect(cells).to_have_count(2)
    expect(cells.nth(1).locator(".jp-InputArea-editor")).to_contain_text("Impute(")
    screenshot(page, "blocks-panel")
