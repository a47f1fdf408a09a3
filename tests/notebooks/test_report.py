"""Reviewer reports: header, table of contents, prototype handling, offline Plotly."""

from __future__ import annotations

import re

import pytest
from nbformat.v4 import new_output

from jupyter_bighead.errors import Conflict, InvalidSpec
from jupyter_bighead.notebooks.report import ReportSection, report, table_of_contents

from .helpers import code, md, proto, write_nb

FIGURE = {"data": [{"type": "scatter", "x": [0, 0.5, 1], "y": [0, 0.8, 1],
                    "name": "ROC </script>"}],
          "layout": {"title": {"text": "ROC curve"}}}


def report_notebook(tmp_path):
    plot = code("fig")
    plot.outputs = [new_output("display_data", data={
        "application/vnd.plotly.v1+json": FIGURE, "text/plain": "Figure"})]
    return write_nb(tmp_path / "review.ipynb", [
        md("# Booking model\n\nWhy we built it."),
        md("## Data\n```\n# not a heading\n```"),
        code("rows = 10\nprint('rows', rows)"),
        proto("print('scratch exploration')"),
        md("## Results"),
        plot,
    ])


def test_table_of_contents_lists_markdown_headings_outside_code_fences(tmp_path):
    import nbformat

    nb = nbformat.read(report_notebook(tmp_path), as_version=4)
    toc = table_of_contents(nb.cells)
    assert [(e["level"], e["text"]) for e in toc] == [
        (1, "Booking model"), (2, "Data"), (2, "Results")]
    assert toc[0]["anchor"] == "Booking-model"


def test_report_is_self_contained_with_header_toc_and_collapsed_prototypes(tmp_path):
    out = report(report_notebook(tmp_path))
    assert out == tmp_path / "review.report.html"
    page = out.read_text()
    assert "<h1>Booking model</h1>" in page
    assert 'id="bighead-toc"' in page and 'href="#Results"' in page
    assert re.search(r'<details class="bighead-prototype"[^>]*>\s*<summary>', page)
    assert "scratch exploration" in page  # collapsed, not removed
    # Nothing is fetched from the network: no script or link to an external URL.
    assert not re.search(r"<(script|link)[^>]+(src|href)=[\"']https?://", page)
    assert "Plotly.newPlot" in page
    assert "* plotly.js v" in page  # the bundle itself is inlined
    assert "<\\/script>" in page  # the figure's own text cannot end the script early


def test_strip_prototype_removes_prototype_cells(tmp_path):
    page = report(report_notebook(tmp_path), strip_prototype=True).read_text()
    assert "scratch exploration" not in page
    assert "bighead-prototype" not in page.split("</style>")[-1]


def test_plotly_js_is_inlined_only_when_a_figure_needs_it(tmp_path):
    plain = write_nb(tmp_path / "plain.ipynb", [md("# Plain"), code("x = 1")])
    small = report(plain).stat().st_size
    big = report(report_notebook(tmp_path)).stat().st_size
    assert small < 1_000_000 < big


def test_appendix_sections_are_added_to_the_report_and_its_contents(tmp_path):
    section = ReportSection("Model card: booking_model v3", "<p id='card'>AUC 0.91</p>")
    page = report(report_notebook(tmp_path), sections=[section]).read_text()
    assert '<p id="card">AUC 0.91</p>' in page
    assert f'href="#{section.anchor_id()}"' in page


def test_report_never_overwrites_the_notebook_or_an_existing_file_without_force(tmp_path):
    src = report_notebook(tmp_path)
    with pytest.raises(Conflict):
        report(src, out=src)
    (tmp_path / "r.html").write_text("mine")
    with pytest.raises(Conflict):
        report(src, out=tmp_path / "r.html", force=False)
    assert (tmp_path / "r.html").read_text() == "mine"


def test_report_of_an_invalid_notebook_is_a_clear_error(tmp_path):
    (tmp_path / "bad.ipynb").write_text("nope")
    with pytest.raises(InvalidSpec, match="not a valid notebook"):
        report(tmp_path / "bad.ipynb")


def test_report_title_is_not_a_setup_section_heading(tmp_path):
    from jupyter_bighead.notebooks.report import render_report

    src = write_nb(tmp_path / "churn_model.ipynb", [
        md("# Setup"), code("x = 1"), md("# Training"), md("## Data")])
    assert "<h1>Churn model</h1>" in render_report(src, sections=[])


def test_report_title_prefers_title_metadata_then_the_notebooks_own_title(tmp_path):
    import nbformat

    from jupyter_bighead.notebooks.report import render_report

    src = write_nb(tmp_path / "n.ipynb", [md("# Booking model"), md("## Data")])
    assert "<h1>Booking model</h1>" in render_report(src, sections=[])
    nb = nbformat.read(src, as_version=4)
    nb.metadata["title"] = "Quarterly churn"
    nbformat.write(nb, src)
    assert "<h1>Quarterly churn</h1>" in render_report(src, sections=[])


def toc_numbers(page):
    nav = page.split('id="bighead-toc"')[1].split("</nav>")[0]
    return re.findall(r'<li class="depth-(\d)">(?:<span class="bighead-toc-number">([\d.]+)'
                      r'</span> )?<a href="#[^"]*">([^<]*)</a>', nav)


def test_toc_numbers_each_level_once_without_the_title(tmp_path):
    from jupyter_bighead.notebooks.report import render_report

    src = write_nb(tmp_path / "n.ipynb", [
        md("# Booking model"), md("## Data\n### Sources\n### Cleaning"), md("## Results")])
    page = render_report(src, sections=[ReportSection("Model card", "<p>x</p>")])
    assert toc_numbers(page) == [("1", "1", "Data"), ("2", "1.1", "Sources"),
                                 ("2", "1.2", "Cleaning"), ("1", "2", "Results"),
                                 ("1", "3", "Model card")]
    assert "<ol>" not in page.split('id="bighead-toc"')[1].split("</nav>")[0]


def test_toc_adds_no_numbers_to_headings_the_notebook_numbers_itself(tmp_path):
    from jupyter_bighead.notebooks.report import render_report

    src = write_nb(tmp_path / "n.ipynb", [
        md("# Welcome"), md("## 1. The platform"), md("## 2. The data"),
        md("## What comes next")])
    # Decided per heading: the unnumbered one still gets its number.
    assert toc_numbers(render_report(src, sections=[])) == [
        ("1", "", "1. The platform"), ("1", "", "2. The data"), ("1", "3", "What comes next")]


def test_report_function_is_exported_from_the_package_and_the_module_still_imports(tmp_path):
    import importlib

    import jupyter_bighead.notebooks as notebooks

    src = write_nb(tmp_path / "n.ipynb", [md("# T"), code("x = 1")])
    out = notebooks.report(src, sections=[])
    assert out == tmp_path / "n.report.html" and out.exists()
    module = importlib.import_module("jupyter_bighead.notebooks.report")
    assert module.report is notebooks.report
    assert callable(module.table_of_contents)


def test_report_author_is_the_hub_user_like_everywhere_else(tmp_path, monkeypatch):
    import html

    from jupyter_bighead.identity import current_user

    monkeypatch.setenv("JUPYTERHUB_USER", "ada-from-the-hub")
    page = html.unescape(report(report_notebook(tmp_path)).read_text())
    assert "ada-from-the-hub" in page
    monkeypatch.delenv("JUPYTERHUB_USER")
    page = html.unescape(report(report_notebook(tmp_path), force=True).read_text())
    assert current_user() in page and "ada-from-the-hub" not in page
