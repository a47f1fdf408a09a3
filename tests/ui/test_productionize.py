"""Prototype tags and Productionize, driven through the JupyterLab UI."""

from __future__ import annotations

import json
import re

import nbformat
from nbformat.v4 import new_code_cell, new_notebook
from playwright.sync_api import Page, expect

from .conftest import screenshot


def write_notebook(path, cells):
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, path)


def proto_cell(source):
    cell = new_code_cell(source)
    cell.metadata["tags"] = ["prototype"]
    return cell


def open_notebook(page: Page, lab, name: str):
    page.goto(lab.lab_url(f"lab/tree/{name}"))
    notebook = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")
    expect(notebook.locator(".jp-Cell").first).to_be_visible(timeout=60_000)
    return notebook


def test_tag_a_cell_in_the_ui_and_productionize_it_away(page: Page, lab):
    write_notebook(lab.workspace / "ui_prod.ipynb", [
        new_code_cell("x = 1"),
        new_code_cell("y = x + 1"),
        new_code_cell("print('exploring', y)"),
    ])
    notebook = open_notebook(page, lab, "ui_prod.ipynb")
    cells = notebook.locator(".jp-Cell")
    expect(cells).to_have_count(3)

    cells.nth(2).locator(".jp-InputArea-editor").click()
    expect(cells.nth(2)).to_have_class(re.compile("jp-mod-active"))
    toggle = cells.nth(2).locator('.jp-cell-toolbar [data-command="bighead:toggle-prototype"]')
    expect(toggle).to_be_visible()
    toggle.click()
    expect(cells.nth(2)).to_have_class(re.compile("jp-bighead-prototype"))
    expect(cells.nth(0)).not_to_have_class(re.compile("jp-bighead-prototype"))
    screenshot(page, "prototype-cell")

    notebook.locator('.jp-Toolbar [data-command="bighead:productionize"]').click()
    # The banner lands in the source notebook, which stays in front (the banner's buttons
    # open the production notebook and module).
    banner = page.locator(".jp-bighead-banner-success")
    expect(banner).to_contain_text("ui_prod_production/ui_prod.ipynb", timeout=30_000)
    expect(page.locator(".lm-TabBar-tab.lm-mod-current", has_text="ui_prod.ipynb")).to_be_visible()

    # The tag was saved with the notebook, and the production notebook lacks the cell.
    saved = json.loads((lab.workspace / "ui_prod.ipynb").read_text())
    assert saved["cells"][2]["metadata"]["tags"] == ["prototype"]
    prod = nbformat.read(lab.workspace / "ui_prod_production" / "ui_prod.ipynb", as_version=4)
    assert [c.source for c in prod.cells] == ["x = 1", "y = x + 1"]
    assert (lab.workspace / "ui_prod_production" / "ui_prod.py").is_file()


def test_keyboard_shortcut_toggles_a_multi_cell_selection(page: Page, lab):
    write_notebook(lab.workspace / "ui_multi.ipynb",
                   [new_code_cell("a = 1"), new_code_cell("b = 2"), new_code_cell("c = 3")])
    notebook = open_notebook(page, lab, "ui_multi.ipynb")
    cells = notebook.locator(".jp-Cell")
    cells.nth(0).locator(".jp-InputArea-editor").click()
    page.keyboard.press("Escape")
    page.keyboard.press("Shift+ArrowDown")
    page.keyboard.press("Alt+p")
    proto = re.compile("jp-bighead-prototype")
    expect(cells.nth(0)).to_have_class(proto)
    expect(cells.nth(1)).to_have_class(proto)
    expect(cells.nth(2)).not_to_have_class(proto)
    page.keyboard.press("Alt+p")  # all selected are prototype: toggles them back
    expect(cells.nth(0)).not_to_have_class(proto)
    expect(cells.nth(1)).not_to_have_class(proto)


def test_dependency_error_shows_inline_and_links_to_the_cell(page: Page, lab):
    write_notebook(lab.workspace / "ui_dep.ipynb", [
        proto_cell("secret = 42"),
        new_code_cell("import math"),
        new_code_cell("print(secret * math.pi)"),
    ])
    notebook = open_notebook(page, lab, "ui_dep.ipynb")
    expect(notebook.locator(".jp-Cell").nth(0)).to_have_class(
        re.compile("jp-bighead-prototype")
    )
    notebook.locator('.jp-Toolbar [data-command="bighead:productionize"]').click()
    alert = notebook.locator(".jp-bighead-banner-error")
    expect(alert).to_be_visible(timeout=30_000)
    offense = alert.locator(".jp-bighead-offense")
    expect(offense).to_have_count(1)
    expect(offense).to_be_in_viewport()
    expect(offense).to_contain_text("Cell 3: print(secret * math.pi)")
    expect(alert).to_contain_text("secret")
    screenshot(page, "productionize-dependency-error")
    notebook.locator(".jp-Cell").nth(0).locator(".jp-InputArea-editor").click()
    offense.click()
    expect(notebook.locator(".jp-Cell").nth(2)).to_have_class(re.compile("jp-mod-active"))
    assert not (lab.workspace / "ui_dep_production").exists()
