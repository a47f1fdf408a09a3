"""Report: the page's <title>, per-heading numbering, setext and HTML headings in the TOC."""

from __future__ import annotations

import re

from jupyter_bighead.notebooks.report import render_report, table_of_contents

from .helpers import md, write_nb
from .test_report import toc_numbers


def test_the_html_title_is_the_report_title_not_notebook(tmp_path):
    page = render_report(write_nb(tmp_path / "n.ipynb", [
        md("# Churn & retention"), md("## Data")]), sections=[])
    assert re.search(r"<title>(.*?)</title>", page).group(1) == "Churn &amp; retention"


def test_one_self_numbered_heading_does_not_turn_off_numbering_of_the_others(tmp_path):
    page = render_report(write_nb(tmp_path / "n.ipynb", [
        md("# Title"), md("## Data"), md("## 2. Model"), md("### Tuning"), md("## Results")]),
        sections=[])
    assert toc_numbers(page) == [("1", "1", "Data"), ("1", "", "2. Model"),
                                 ("2", "2.1", "Tuning"), ("1", "3", "Results")]


def test_setext_and_html_headings_are_in_the_table_of_contents():
    cells = [md("Big title\n========="), md("Intro text.\n\nData\n----\n\nmore"),
             md('<h2 id="mine">Model <em>fit</em></h2>'), md("<H3>Tuning &amp; more</H3>"),
             md("```\nnot\n===\n```"), md("a list\n\n---\n")]
    assert [(e["level"], e["text"], e["anchor"]) for e in table_of_contents(cells)] == [
        (1, "Big title", "Big-title"), (2, "Data", "Data"), (2, "Model fit", "mine"),
        (3, "Tuning & more", "Tuning-&-more")]


def test_toc_links_of_html_headings_reach_an_element_with_that_id(tmp_path):
    page = render_report(write_nb(tmp_path / "n.ipynb", [
        md("# T"), md("<h2>Plain html</h2>"), md("Setext two\n---")]), sections=[])
    nav = page.split('id="bighead-toc"')[1].split("</nav>")[0]
    anchors = re.findall(r'<a href="#([^"]+)">', nav)
    assert len(anchors) == 2
    body = page.split("</nav>", 1)[1]
    for anchor in anchors:
        assert f'id="{anchor}"' in body, anchor
