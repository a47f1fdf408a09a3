"""What a reviewer reads: gathered once, when a review is requested.

Four parts, each plain data (the reviewer report is an HTML file beside the record):

- ``report``: the reviewer report of the version's source notebook (its production
  cells with outputs and this version's model card), rendered with
  :func:`jupyter_bighead.notebooks.report.report`; when the version's lineage names no
  notebook, or the notebook cannot be read here, ``status`` says so and ``message``
  says why in words (a server passes :class:`NotebookOutsideRoot` for a lineage
  notebook outside its root, which is then never read: see :func:`confined_notebook`);
- ``card``: the version as the registry records it (metrics, params, features, data
  fingerprint, git commit, who and when);
- ``evaluation``: the stored evaluation's headline metrics and top features by gain;
- ``diff``: the version against the one the alias points at now: the registry's
  :meth:`~jupyter_bighead.registry.Registry.compare` (metrics with deltas, params,
  features, inputs) and a diff of the production code both versions recorded.
"""

from __future__ import annotations

import difflib
import hashlib
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._json import json_safe

if TYPE_CHECKING:
    from ..registry import ModelVersion, Registry

#: The reviewer report's file name inside the review's folder.
REPORT_FILE = "report.html"
#: Longest code diff kept (characters of the unified text, and of its HTML).
MAX_DIFF_CHARS = 500_000
TOP_FEATURES = 10


def gather(registry: Registry, mv: ModelVersion, alias: str, folder: Path,
           notebook: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """Everything the reviewer of ``mv`` for ``alias`` reads, the report written to
    ``folder/report.html``. Never raises for a missing part: it says what is missing."""
    return json_safe({
        "report": report_part(registry, mv, folder, notebook),
        "card": card(mv),
        "evaluation": evaluation_summary(registry, mv),
        "diff": diff_against_alias(registry, mv, alias),
    }, style="data")


def _notebook_of(mv: ModelVersion) -> Mapping[str, Any]:
    nb = (mv.lineage or {}).get("notebook")
    return nb if isinstance(nb, Mapping) else {}


@dataclass(frozen=True)
class NotebookOutsideRoot:
    """A source notebook the requester's server may not read (outside its root): given
    as ``notebook=``, the report part says so plainly and the file is never opened."""

    path: str

    def __fspath__(self) -> str:
        return self.path


def confined_notebook(mv: ModelVersion, inside: Callable[[Path], bool]
                      ) -> str | NotebookOutsideRoot | None:
    """The ``notebook=`` a server passes for ``mv``: its lineage notebook resolved when
    ``inside(path)`` (the server's root check) allows it, else :class:`NotebookOutsideRoot`;
    ``None`` when the lineage names none."""
    source = _notebook_of(mv).get("path")
    if not source or not isinstance(source, str):
        return None
    path = Path(source).expanduser().resolve()
    return str(path) if inside(path) else NotebookOutsideRoot(str(path))


def report_part(registry: Registry, mv: ModelVersion, folder: Path,
                notebook: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """Render the reviewer report of ``mv``'s source notebook (or ``notebook``)."""
    from ..registry.lineage import notebook_info

    recorded = _notebook_of(mv)
    if isinstance(notebook, NotebookOutsideRoot):
        return {"status": "outside_root", "notebook": notebook.path, "file": None,
                "message": f"the source notebook {notebook.path!r} of {mv.name} "
                           f"v{mv.version} is outside this server's root, so it is not read "
                           "and there is no reviewer report (move the notebook under the "
                           "root, or request the review with notebook= from Python)"}
    source = notebook if notebook is not None else recorded.get("path")
    if not source:
        return {"status": "none", "notebook": None, "file": None,
                "message": f"{mv.name} v{mv.version} names no source notebook in its lineage "
                           "(it was registered outside a notebook and without notebook=), so "
                           "there is no reviewer report; request the review with notebook= to "
                           "attach one"}
    path = Path(source).expanduser()
    if not path.is_file():
        return {"status": "missing", "notebook": str(path), "file": None,
                "message": f"the source notebook {str(path)!r} of {mv.name} v{mv.version} "
                           "cannot be read here (moved, deleted, or on another machine), so "
                           "there is no reviewer report"}
    from ..notebooks.cards import model_card
    from ..notebooks.report import report

    try:
        now_sha = (notebook_info(path) or {}).get("production_cells_sha256")
        out = report(path, folder / REPORT_FILE, sections=[model_card(registry, mv, path)])
    except Exception as exc:  # nbconvert and jinja raise their own types; the review goes on
        return {"status": "failed", "notebook": str(path), "file": None,
                "message": f"the reviewer report of {str(path)!r} could not be rendered: "
                           f"{type(exc).__name__}: {str(exc)[:2000]}"}
    data = out.read_bytes()
    matches = now_sha is not None and now_sha == recorded.get("production_cells_sha256")
    return {"status": "rendered", "notebook": str(path.resolve()), "file": REPORT_FILE,
            "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest(),
            "notebook_matches_version": matches,
            "message": "" if matches else
            "the notebook's production cells are not the ones this version recorded: the "
            "report shows the notebook as it is now"}


def card(mv: ModelVersion) -> dict[str, Any]:
    """The version's model card as data."""
    lineage = mv.lineage or {}
    git = lineage.get("git") if isinstance(lineage.get("git"), Mapping) else {}
    return {
        "name": mv.name, "version": mv.version, "model_class": mv.model_class,
        "flavor": mv.flavor, "task": mv.task, "created_by": mv.created_by,
        "created_at": mv.created_at, "description": mv.description,
        "metrics": dict(mv.metrics), "params": dict(mv.params), "tags": dict(mv.tags),
        "features": list(mv.features), "dataset": mv.dataset,
        "git": {"commit": (git or {}).get("commit"), "dirty": (git or {}).get("dirty")},
        "notebook": _notebook_of(mv).get("path"), "job_id": lineage.get("job_id"),
    }


def evaluation_summary(registry: Registry, mv: ModelVersion) -> dict[str, Any]:
    """Headline metrics and the top features by gain of the stored evaluation."""
    report = registry.evaluation(mv.name, mv.version)
    if report is None:
        return {"available": False, "message": f"{mv.name} v{mv.version} was registered "
                                               "without validation data: no evaluation"}
    top: list[dict[str, Any]] = []
    imp = report.importance or {}
    names, gains = list(imp.get("features") or []), list(imp.get("gain") or [])
    if names and len(names) == len(gains):
        ranked = sorted(zip(names, gains, strict=True), key=lambda p: -float(p[1]))
        top = [{"feature": str(n), "gain": float(g)} for n, g in ranked[:TOP_FEATURES]]
    return {"available": True, "task": report.task, "n_rows": report.n_rows,
            "metrics": dict(report.metrics), "top_features": top}


def _cells(mv: ModelVersion) -> list[str] | None:
    cells = _notebook_of(mv).get("production_cells")
    return [str(c) for c in cells] if isinstance(cells, Sequence) else None


def unified_code_diff(old: list[str], new: list[str], a: str, b: str) -> str:
    """A unified diff of two versions' production cells, cells marked ``# cell N``."""
    def lines(cells: list[str]) -> list[str]:
        out: list[str] = []
        for i, src in enumerate(cells, 1):
            out += [f"# cell {i}", *src.splitlines()]
        return out

    return "\n".join(difflib.unified_diff(lines(old), lines(new), fromfile=a, tofile=b,
                                          lineterm=""))


def _bounded(text: str) -> tuple[str, bool]:
    return (text[:MAX_DIFF_CHARS], True) if len(text) > MAX_DIFF_CHARS else (text, False)


def diff_against_alias(registry: Registry, mv: ModelVersion, alias: str) -> dict[str, Any]:
    """``mv`` against the version ``alias`` points at now (``a``: now, ``b``: ``mv``)."""
    current = registry.aliases(mv.name).get(alias)
    if current is None:
        return {"against": None, "compare": None, "code": None,
                "message": f"{alias!r} of {mv.name!r} is not set: v{mv.version} would be "
                           "its first version"}
    if current == mv.version:
        return {"against": current, "compare": None, "code": None,
                "message": f"{alias!r} of {mv.name!r} already points at v{mv.version}"}
    from ..notebooks.cards import code_diff

    compare = registry.compare(mv.name, current, mv.version)
    old, new = _cells(registry.get(mv.name, current)), _cells(mv)
    if old is None or new is None:
        missing = " and ".join(f"v{v}" for v, c in ((current, old), (mv.version, new))
                               if c is None)
        code: dict[str, Any] = {"available": False,
                                "message": f"{missing} recorded no production cells (registered "
                                           "outside a notebook): no code diff"}
    else:
        unified, cut = _bounded(unified_code_diff(old, new, f"{mv.name} v{current} ({alias})",
                                                  f"{mv.name} v{mv.version}"))
        page, cut_html = _bounded(code_diff(old, new))
        code = {"available": True, "changed": old != new, "unified": unified, "html": page,
                "truncated": cut or cut_html}
    return {"against": current, "compare": compare, "code": code, "message": ""}
