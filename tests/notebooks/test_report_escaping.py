"""Data-derived text in a reviewer report is inert: markup shows as text, never runs."""

from __future__ import annotations

from html.parser import HTMLParser

from jupyter_bighead.notebooks.report import ReportSection, plotly_div, render_report

from .helpers import code, md, write_nb

PAYLOAD = '"><img src=x onerror=alert(1)>'


def test_a_section_anchor_with_markup_cannot_break_out_of_the_table_of_contents(tmp_path):
    nb = write_nb(tmp_path / "r.ipynb", [md("# Title"), code("x = 1")])
    page = render_report(nb, sections=[ReportSection("Card", "<p>body</p>", anchor=PAYLOAD)])
    found = _Elements()
    found.feed(page)
    assert "img" not in found.tags  # the payload stayed inside the attribute
    assert "#" + PAYLOAD in found.hrefs


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.hrefs: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.hrefs += [v for k, v in attrs if k == "href"]


def test_figure_text_can_neither_end_the_script_nor_open_a_comment():
    figure = {"data": [{"type": "bar", "x": ["<!--<script>", "</script><img src=x>"],
                        "y": [1, 2]}], "layout": {}}
    div = plotly_div(figure)
    script = div[div.index("<script"):]
    assert script.count("</script>") == 1 and script.endswith("</script>")
    assert "<!--" not in script
