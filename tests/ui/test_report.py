"""The reviewer report renders offline in Chromium, and opens in a lab tab."""

from __future__ import annotations

from nbformat.v4 import new_code_cell, new_markdown_cell, new_output
from playwright.sync_api import Page, expect

from jupyter_bighead.notebooks.report import report

from .conftest import screenshot
from .test_productionize import open_notebook, proto_cell, write_notebook

FIGURE = {"data": [{"type": "scatter", "x": [0, 0.4, 1], "y": [0, 0.9, 1], "name": "ROC"}],
          "layout": {"title": {"text": "ROC curve"}}}


def review_notebook(path):
    plot = new_code_cell("fig")
    plot.outputs = [new_output("display_data", data={
        "application/vnd.plotly.v1+json": FIGURE, "text/plain": "Figure"})]
    write_notebook(path, [
        new_markdown_cell("# Review me\n\nA short paper."),
        new_code_cell("x = 41 + 1"),
        proto_cell("print('scratch')"),
        new_markdown_cell("## Results"),
        plot,
    ])
    return path


def test_report_renders_in_chromium_without_network(page: Page, tmp_path):
    out = report(review_notebook(tmp_path / "review.ipynb"))
    external: list[str] = []

    def guard(route):
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            external.append(route.request.url)
            route.abort()

    page.route("**/*", guard)
    page.goto(out.as_uri())
    expect(page.locator("#bighead-report-header h1")).to_have_text("Review me")
    # The title heading is the report's title, not a section: the TOC lists "Results".
    expect(page.locator("#bighead-toc a")).to_have_count(1)
    expect(page.locator("#bighead-toc a")).to_contain_text("Results")
    prototype = page.locator("details.bighead-prototype")
    expect(prototype).to_have_count(1)
    expect(prototype).not_to_have_attribute("open", "")
    expect(prototype.get_by_text("print('scratch')")).not_to_be_visible()
    # Plotly drew the chart from the inlined bundle.
    expect(page.locator(".bighead-plot.js-plotly-plot .main-svg").first).to_be_visible()
    screenshot(page, "reviewer-report")
    assert external == [], f"the report tried to reach the network: {external}"


def test_report_command_opens_the_report_in_a_lab_tab(page: Page, lab):
    review_notebook(lab.workspace / "ui_review.ipynb")
    notebook = open_notebook(page, lab, "ui_review.ipynb")
    notebook.locator('.jp-Toolbar [data-command="bighead:report"]').click()
    tab = page.locator(".lm-TabBar-tab", has_text="Report: ui_review.ipynb")
    expect(tab).to_be_visible(timeout=30_000)
    frame = page.frame_locator(".jp-bighead-report iframe")
    expect(frame.locator("#bighead-report-header h1")).to_have_text("Review me", timeout=30_000)
    expect(frame.locator(".js-plotly-plot").first).to_be_visible()
    assert (lab.workspace / "ui_review.report.html").is_file()
