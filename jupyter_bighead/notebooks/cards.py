"""Model cards for reviewer reports: the registry's view of models born in a notebook."""

from __future__ import annotations

import difflib
import html
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .sections import ReportSection, plotly_div

if TYPE_CHECKING:
    from ..registry import ModelVersion, Registry

CARD_METRICS = ("roc_auc", "pr_auc", "log_loss", "brier", "f1_at_best_f1", "precision_at_best_f1",
                "recall_at_best_f1", "rmse", "mae", "r2")
CARD_FIGURES = ("pr", "roc", "importance_gain", "shap")


#: What the job worker calls the notebook it executed, in the job's own folder.
EXECUTED = "executed.ipynb"


#: Where a copy of a job's executed notebook (the lab's "Open executed notebook") names
#: its job: ``metadata.bighead.job_id``.
METADATA_KEY = "bighead"


def stamp_job(nb: dict[str, Any], job_id: str) -> dict[str, Any]:
    """Record in the notebook JSON ``nb`` (in place, and returned) that it shows ``job_id``'s
    run, so that a copy made away from the job's folder still gets that job's cards."""
    meta = nb.setdefault("metadata", {})
    own = meta.get(METADATA_KEY)
    meta[METADATA_KEY] = {**(own if isinstance(own, dict) else {}), "job_id": job_id}
    return nb


def _stamped_job(notebook: Path) -> str | None:
    try:
        with notebook.open(encoding="utf-8") as f:
            nb = json.load(f)
    except (OSError, ValueError):
        return None  # not a readable notebook: the report itself says so
    meta = nb.get("metadata") if isinstance(nb, dict) else None
    own = meta.get(METADATA_KEY) if isinstance(meta, dict) else None
    job = own.get("job_id") if isinstance(own, dict) else None
    return job if isinstance(job, str) and job else None


def job_of(notebook: Path) -> str | None:
    """The id of the job whose executed notebook this is, or ``None`` for any other notebook.

    That is the job's own ``<jobs>/<id>/executed.ipynb`` beside its ``spec.json``, or a
    copy of it stamped by :func:`stamp_job` (``runs/<id>.ipynb`` in the lab).
    """
    if notebook.name == EXECUTED and (notebook.parent / "spec.json").is_file():
        return notebook.parent.name
    return _stamped_job(notebook)


def versions_from_notebook(reg: Registry, notebook: Path) -> list[ModelVersion]:
    """The versions the run shown in ``notebook`` registered: per model, the newest one.

    A job's executed notebook shows that job's run: the versions whose lineage records
    the job's id. Any other notebook shows a run outside jobs: the versions whose lineage
    names this notebook and no job, those registered from the lab's kernel first (a
    headless ``productionize --execute`` run counts only when there is none), so versions
    a later job or headless run registered never replace the ones its outputs describe.
    """
    job = job_of(notebook)
    target = str(notebook.resolve())
    found = []
    for model in reg.models(limit=1000):
        candidates = []
        for mv in reg.versions(model.name, limit=1000):  # newest first
            lineage = mv.lineage or {}
            nb = lineage.get("notebook") or {}
            if (lineage.get("job_id") == job if job is not None
                    else nb.get("path") == target and not lineage.get("job_id")):
                candidates.append(mv)
        interactive = [mv for mv in candidates if (mv.lineage or {}).get("interactive")]
        if interactive or candidates:
            found.append((interactive or candidates)[0])
    return found


def _previous(reg: Registry, mv: ModelVersion) -> ModelVersion | None:
    for other in reg.versions(mv.name, limit=1000):
        if other.version < mv.version and ((other.lineage or {}).get("notebook") or {}).get(
                "production_cells") is not None:
            return other
    return None


def code_diff(old: list[str], new: list[str]) -> str:
    """Cell-level diff of two lists of production cell sources, as HTML."""
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    out = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            out.append(f"<div>… {i2 - i1} unchanged cell(s)</div>")
            continue
        before, after = "\n".join(old[i1:i2]), "\n".join(new[j1:j2])
        lines = difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="",
                                     fromfile=f"cells {i1 + 1}-{i2}", tofile=f"cells {j1 + 1}-{j2}")
        for line in lines:
            cls = "add" if line.startswith("+") else "del" if line.startswith("-") else ""
            out.append(f"<div class='{cls}'>{html.escape(line)}</div>")
    return "<div class='bighead-diff'>" + "".join(out) + "</div>"


def model_card(reg: Registry, mv: ModelVersion, notebook: Path) -> ReportSection:
    """Metrics, PR/ROC curves, importance, feature versions and the code diff of ``mv``."""
    rows = "".join(f"<tr><td>{k}</td><td>{mv.metrics[k]:.4f}</td></tr>"
                   for k in CARD_METRICS if k in mv.metrics)
    parts = [
        f"<p>Version <b>{mv.version}</b> of <b>{html.escape(mv.name)}</b>, "
        f"{html.escape(mv.model_class)}, registered by {html.escape(mv.created_by)} "
        f"on {html.escape(mv.created_at[:16].replace('T', ' '))}.</p>",
        f"<table class='bighead-table' data-card='metrics'>{rows}</table>",
        "<h3>Feature versions</h3><ul>"
        + "".join(f"<li>{html.escape(f)}</li>" for f in mv.features) + "</ul>"
        if mv.features else "",
    ]
    report = reg.evaluation(mv.name, mv.version)
    if report is not None:
        figures = report.figures()
        for key in CARD_FIGURES:
            if key in figures:
                parts.append(plotly_div(json.loads(figures[key].to_json())))
    previous = _previous(reg, mv)
    current = json.loads(notebook.read_text("utf-8"))
    from ..registry.lineage import production_cells

    if previous is not None:
        old = previous.lineage["notebook"]["production_cells"]
        parts.append(f"<h3>Production code since version {previous.version}</h3>")
        parts.append(code_diff(list(old), production_cells(current)))
    else:
        parts.append("<p>No earlier version with recorded production code to compare.</p>")
    return ReportSection(f"Model card: {mv.name} v{mv.version}", "".join(parts))


def model_sections(notebook: str | Path, registry: Registry | None = None) -> list[ReportSection]:
    """One card per model registered from ``notebook`` (default registry if none given)."""
    path = Path(notebook).resolve()
    if registry is None:
        from ..config import BigheadHome

        home = BigheadHome.resolve()
        if not (home.root / "registry.db").exists():
            return []
        from ..registry.default import default_registry

        registry = default_registry()
    return [model_card(registry, mv, path) for mv in versions_from_notebook(registry, path)]
