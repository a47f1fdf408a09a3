"""What the labextension ships, and whether plotly.js is loaded only when a chart is drawn.

Pure functions over a labextension's ``static/`` folder and the list of its files a browser
fetched while JupyterLab started (``bench/lab/run.py`` records that list from the network).
"""

from __future__ import annotations

import gzip
import re
from dataclasses import dataclass, field
from pathlib import Path

#: Code only plotly.js itself contains (its definition of ``newPlot`` and its style-sheet
#: ids), not code that merely calls it or names a MIME type after it.
PLOTLY_MARKERS = (
    re.compile(rb"\bnewPlot\s*=\s*function\b"),
    re.compile(rb"plotly\.js-style-"),
    re.compile(rb"plotly\.js could not find topojson"),
)


def has_plotly(path: Path) -> bool:
    """Whether the file holds plotly.js's own code."""
    data = path.read_bytes()
    return any(m.search(data) for m in PLOTLY_MARKERS)


@dataclass
class BundleReport:
    """Sizes of a labextension's JavaScript, split by when the browser loads it."""

    folder: str
    files: dict[str, int] = field(default_factory=dict)  # name -> bytes
    gzip_bytes: dict[str, int] = field(default_factory=dict)
    initial: list[str] = field(default_factory=list)  # fetched while the lab started
    lazy: list[str] = field(default_factory=list)  # shipped, not fetched at start
    plotly_files: list[str] = field(default_factory=list)

    @property
    def plotly_eager(self) -> list[str]:
        """Files with plotly.js that the lab loads at start (the check fails on any)."""
        return sorted(set(self.plotly_files) & set(self.initial))

    @property
    def initial_bytes(self) -> int:
        return sum(self.files[n] for n in self.initial)

    @property
    def total_bytes(self) -> int:
        return sum(self.files.values())


def js_files(static: Path) -> list[Path]:
    """The JavaScript a browser may load (no source maps)."""
    return sorted(p for p in static.glob("*.js") if p.is_file())


#: How a development build names the modules a chunk defines: ``"./lib/shell.js"(``.
MODULE_DEF = re.compile(rb'"\./lib/([\w./-]+?)\.js"\s*\(')

#: What the lab needs only after its layout is restored (labextension/src/lazy.ts and
#: shell.tsx import them with ``import()``): none may be in the chunk run at start.
LAZY_MODULES = ("sidebar", "models/view", "reviews/view", "notebook/index",
                "notify/notifier", "models/alerts")


def modules(path: Path) -> list[str]:
    """Our source modules (``labextension/src`` paths, no extension) that a chunk
    defines; empty for a production build, whose modules are numbered."""
    return sorted({m.decode() for m in MODULE_DEF.findall(path.read_bytes())})


def start_chunk(static: Path) -> Path | None:
    """The chunk JupyterLab runs at start: the one that defines ``index``."""
    for path in js_files(static):
        if "index" in modules(path):
            return path
    return None


def analyse(static: Path, fetched: list[str]) -> BundleReport:
    """Classify ``static``'s JavaScript by ``fetched`` (file names the browser asked for
    while the lab started) and find the files holding plotly.js.

    A ``remoteEntry`` is always counted as initial: JupyterLab loads it to learn the
    extension's plugins, whether or not a recorded start asked for it.
    """
    report = BundleReport(folder=str(static))
    wanted = set(fetched)
    for path in js_files(static):
        data = path.read_bytes()
        report.files[path.name] = len(data)
        report.gzip_bytes[path.name] = len(gzip.compress(data, 6))
        if path.name in wanted or path.name.startswith("remoteEntry."):
            report.initial.append(path.name)
        else:
            report.lazy.append(path.name)
        if has_plotly(path):
            report.plotly_files.append(path.name)
    return report
