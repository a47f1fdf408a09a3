"""Reviewer reports: a self-contained HTML page rendered with an nbconvert template.

The page reads like a short paper: a header (title, author, commit, date), a table
of contents, the production cells with their outputs (prototype cells collapsed,
or removed), and appendix sections (model cards, code diffs) given as HTML.
Plotly figures stay interactive offline: plotly.js is inlined, never fetched.
"""

from __future__ import annotations

import copy
import html
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from .._io import atomic_write_text
from ..errors import Conflict
from ..gitinfo import git_state
from ..identity import current_user
from ..templates import templates_root
from .deps import cell_source
from .productionize import read_notebook
from .sections import ReportSection, plotly_div
from .tags import is_prototype

PLOTLY_MIME = "application/vnd.plotly.v1+json"
_HEADING = re.compile(r"^(#{1,3})\s+(.+?)\s*#*\s*$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)\s*$")  # under a paragraph: "===" is H1, "---" H2
_HTML_HEADING = re.compile(r"<h([1-3])((?:\s[^>]*)?)>(.*?)</h\1\s*>", re.I | re.S)
_HTML_ID = re.compile(r"""\sid\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.I)


def heading_anchor(text: str) -> str:
    """The id nbconvert gives a markdown heading (see nbconvert.filters.strings)."""
    return quote(text.replace(" ", "-"), safe="?/:@!$&'()*+,;=")


def _entry(level: int, text: str, anchor: str | None = None) -> dict[str, Any]:
    text = re.sub(r"[*_`]", "", text).strip()
    return {"level": level, "text": text, "anchor": anchor or heading_anchor(text)}


def _html_heading_text(inner: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", inner)).strip()


def table_of_contents(cells: Sequence[Any]) -> list[dict[str, Any]]:
    """Headings H1 to H3 of the markdown cells: ATX (``##``), setext (``===``) and HTML."""
    toc = []
    for cell in cells:
        if cell.get("cell_type") != "markdown":
            continue
        fenced = False
        paragraph: list[str] = []
        for line in cell_source(cell).splitlines():
            if line.lstrip().startswith("```"):
                fenced = not fenced
                paragraph = []
                continue
            if fenced:
                continue
            match = _HEADING.match(line)
            setext = _SETEXT.match(line)
            html_heads = list(_HTML_HEADING.finditer(line))
            if match:
                toc.append(_entry(len(match.group(1)), match.group(2)))
            elif setext and paragraph:
                toc.append(_entry(1 if setext.group(1)[0] == "=" else 2, " ".join(paragraph)))
            for head in html_heads:
                ident = _HTML_ID.search(head.group(2))
                anchor = next((g for g in ident.groups() if g is not None), None) \
                    if ident else None
                toc.append(_entry(int(head.group(1)), _html_heading_text(head.group(3)), anchor))
            paragraph = [] if (match or setext or html_heads or not line.strip()) \
                else [*paragraph, line.strip()]
    return toc


def _anchor_html_headings(nb: Any) -> None:
    """Give HTML headings without an id the id the table of contents links to."""
    def add_id(head: re.Match[str]) -> str:
        if _HTML_ID.search(head.group(2)):
            return head.group(0)
        anchor = html.escape(heading_anchor(
            re.sub(r"[*_`]", "", _html_heading_text(head.group(3))).strip()))
        return f'<h{head.group(1)} id="{anchor}"{head.group(2)}>{head.group(3)}</h{head.group(1)}>'

    for cell in nb.cells:
        if cell.get("cell_type") == "markdown":
            cell["source"] = _HTML_HEADING.sub(add_id, cell_source(cell))


def _inline_plotly_outputs(nb: Any) -> bool:
    """Turn Plotly outputs into offline HTML; True if any were found."""
    found = False
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data") or {}
            if PLOTLY_MIME in data:
                found = True
                output["data"] = {"text/html": plotly_div(data[PLOTLY_MIME])}
    return found


def plotly_js() -> str:
    """The plotly.js bundle shipped with the plotly Python package."""
    import plotly

    return (Path(plotly.__file__).parent / "package_data" / "plotly.min.js").read_text("utf-8")


#: Headings that name a section, never a whole notebook.
_SECTION_WORDS = frozenset({
    "setup", "set up", "imports", "import", "introduction", "intro", "overview", "contents",
    "table of contents", "config", "configuration", "preamble", "libraries", "load libraries",
    "data", "load data", "parameters", "requirements", "installation", "install",
})
_OWN_NUMBER = re.compile(r"^\s*(\d+[.)]|\d+(\.\d+)+\.?|[IVX]+\.)\s")


def _title_entry(toc: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    """The heading that titles the notebook: its one H1, or a first H1 that opens it."""
    h1 = [e for e in toc if e["level"] == 1]
    if not h1 or h1[0]["text"].strip().lower().rstrip(":") in _SECTION_WORDS:
        return None
    if len(h1) == 1 or toc[0] is h1[0]:
        return h1[0]
    return None


def _title(nb: Any, path: Path) -> str:
    """Title metadata, else the notebook's title heading, else its file name."""
    meta = nb.metadata.get("title")
    if isinstance(meta, str) and meta.strip():
        return meta.strip()
    entry = _title_entry(table_of_contents(nb.cells))
    if entry is not None:
        return str(entry["text"])
    name = re.sub(r"[_\s]+", " ", path.stem).strip()
    return name[:1].upper() + name[1:] if name else path.name


def numbered_toc(
    toc: Sequence[dict[str, Any]], title: str | None = None
) -> list[dict[str, Any]]:
    """The report's contents: without the title heading, each entry numbered per level.

    Numbers run within a level and restart under each parent ("2", "2.1", "2.2", "3").
    A heading the notebook numbers itself ("## 1. The platform") gets no number added,
    so it is never numbered twice; the others are still numbered.
    """
    entries = [dict(e) for e in toc if not (title is not None and e["level"] == 1
                                            and e["text"] == title)]
    top = min((int(e["level"]) for e in entries), default=1)
    counters: list[int] = []
    for entry in entries:
        depth = int(entry["level"]) - top + 1
        counters = counters[:depth] + [0] * (depth - len(counters))
        counters[depth - 1] += 1
        entry["depth"] = depth
        # Decided per heading: one the notebook numbers itself is not numbered twice.
        own = _OWN_NUMBER.match(str(entry["text"]))
        entry["number"] = "" if own else ".".join(str(c) for c in counters if c)
    return entries


def _author(nb: Any) -> str:
    authors = nb.metadata.get("authors") or []
    names = [a.get("name", "") if isinstance(a, dict) else str(a) for a in authors]
    if any(names):
        return ", ".join(n for n in names if n)
    return current_user()  # the JupyterHub user, else the OS user


def render_report(
    path: str | Path,
    *,
    strip_prototype: bool = False,
    sections: Sequence[ReportSection] = (),
) -> str:
    """The report's HTML for the notebook at ``path`` (see :func:`report`)."""
    from nbconvert import HTMLExporter

    source = Path(path).resolve()
    nb = copy.deepcopy(read_notebook(source))
    if strip_prototype:
        nb.cells = [c for c in nb.cells if not is_prototype(c)]
    has_plotly = _inline_plotly_outputs(nb)
    _anchor_html_headings(nb)
    appendix = "".join(
        f'<section class="bighead-section" id="{html.escape(s.anchor_id())}">'
        f"<h2>{html.escape(s.title)}</h2>{s.html}</section>"
        for s in sections
    )
    has_plotly = has_plotly or "Plotly.newPlot" in appendix
    git = git_state(source)
    title = _title(nb, source)
    toc = table_of_contents(nb.cells)
    top = min((int(e["level"]) for e in toc if e["text"] != title), default=1)
    toc += [{"level": top, "text": s.title, "anchor": s.anchor_id()} for s in sections]
    bighead = {
        "title": title,
        "author": _author(nb),
        "notebook": source.name,
        "commit": (git.commit or "not in a git repository")
        + (" (uncommitted changes)" if git.dirty else ""),
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "prototype_mode": "removed" if strip_prototype else "collapsed",
        "toc": numbered_toc(toc, title),
        "appendix_html": appendix,
        "plotly_js": plotly_js() if has_plotly else "",
    }
    exporter = HTMLExporter(
        extra_template_basedirs=[str(templates_root() / "nbconvert")],
        template_name="bighead_report",
        embed_images=True,
    )
    # nbconvert's <title> is the notebook's name from resources (default "Notebook").
    body, _ = exporter.from_notebook_node(
        nb, resources={"bighead": bighead, "metadata": {"name": title}})
    # A lone surrogate (the notebook's JSON may hold "\\ud800") has no UTF-8 form: show
    # it escaped, as the code spells it, rather than fail to write or send the page.
    return str(body).encode("utf-8", "backslashreplace").decode("utf-8")


def report(
    path: str | Path,
    out: str | Path | None = None,
    *,
    strip_prototype: bool = False,
    sections: Sequence[ReportSection] | None = None,
    force: bool = True,
) -> Path:
    """Render the reviewer report of ``path`` to ``out`` (default ``<stem>.report.html``).

    Raises
    ------
    NotFound, InvalidSpec
        The notebook is missing or invalid.
    Conflict
        ``out`` is the notebook itself, or exists and ``force`` is false.

    ``sections`` default to the model cards of every model registered from this
    notebook in the default registry (metrics, curves, importance, feature versions
    and the production-code diff against the previous version).
    """
    source = Path(path).resolve()
    target = Path(out).resolve() if out else source.with_name(f"{source.stem}.report.html")
    if target == source:
        raise Conflict("the report would overwrite its notebook")
    if target.exists() and not force:
        raise Conflict(f"refusing to overwrite {target}")
    if sections is None:
        from .cards import model_sections

        sections = model_sections(source)  # cards of models registered from this notebook
    text = render_report(source, strip_prototype=strip_prototype, sections=sections)
    atomic_write_text(target, text)
    return target
