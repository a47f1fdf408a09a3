"""What the lab's own routes do (the handlers in :mod:`.handlers.lab` only translate HTTP).

:func:`executed_copy` copies a job's executed notebook out of the hidden ``.bighead/``
folder; :func:`productionize_plan` says which outputs Productionize would overwrite.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from jupyter_bighead.errors import NotFound

#: Folder (beside the job's notebook) that opened executed notebooks are copied to.
RUNS_FOLDER = "runs"
#: Folder under the server root for jobs whose notebook is outside it.
ROOT_RUNS_FOLDER = "bighead_runs"


def executed_copy(service: Any, job_id: str) -> dict[str, Any]:
    """Copy the job's executed notebook to a visible folder (once); its contents path.

    Raises
    ------
    NotFound
        No such job, or it has no executed notebook (yet).
    """
    from jupyter_bighead.notebooks.cards import stamp_job

    record = service.jobs().status(job_id)
    executed = (record.outputs or {}).get("executed_notebook")
    if not executed or not Path(executed).is_file():
        raise NotFound(f"job {job_id} has no executed notebook"
                       + ("" if record.final else " yet: it is still running"))
    folder = ROOT_RUNS_FOLDER
    notebook = record.spec.notebook
    if notebook:
        try:
            folder = f"{service.paths.relative(Path(notebook).parent)}/{RUNS_FOLDER}"
        except ValueError:
            pass  # a job submitted from Python with its notebook outside the root
    # Joined like every body path: a `runs/` (or `bighead_runs/`) symlink that leads out
    # of the root is a Forbidden before anything is written.
    target = service.paths.join(f"{folder}/{record.id}.ipynb")
    copied = False
    # A copy made earlier may hold the user's own edits: it is never overwritten, and a
    # job's executed notebook no longer changes once the job is final.
    if not target.exists() or not record.final:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.tmp")
        # Stamped with the job's id: a report on the copy gets the cards of the versions
        # this job registered, as one on the job's own executed.ipynb does.
        nb = stamp_job(json.loads(Path(executed).read_text("utf-8")), record.id)
        tmp.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", "utf-8")
        tmp.replace(target)
        copied = True
    return {"path": service.paths.relative(target), "copied": copied, "final": record.final}


def productionize_plan(service: Any, path: Any) -> dict[str, Any]:
    """Outputs of Productionize that exist, and those whose edits it would overwrite.

    Productionize runs into a temporary folder, and each existing output is compared
    with what it would write. An output is reported in ``overwrites`` when its content
    would change and it was edited after Productionize wrote it (its file is newer than
    ``production.json``, which is written last), or when there is no ``production.json``.

    Raises
    ------
    NotFound, InvalidSpec, DependencyError, Conflict
        As :func:`jupyter_bighead.notebooks.productionize` does.
    """
    from jupyter_bighead.notebooks import productionize
    from jupyter_bighead.notebooks.productionize import MANIFEST

    source = service.paths.resolve(path)
    out = source.resolve().parent / f"{source.stem}_production"
    with tempfile.TemporaryDirectory(prefix="bighead-plan-") as tmp:
        fresh = productionize(source, out_dir=tmp, force=True)
        manifest = out / MANIFEST
        written_at = manifest.stat().st_mtime if manifest.is_file() else None
        existing: list[str] = []
        overwrites: list[str] = []
        for new in (fresh.notebook, fresh.module, fresh.manifest):
            old = out / new.name
            if not old.exists():
                continue
            existing.append(service.paths.relative(old))
            if new.name == MANIFEST or old.read_bytes() == new.read_bytes():
                continue  # the manifest only records when and from what it was written
            if written_at is None or old.stat().st_mtime > written_at:
                overwrites.append(service.paths.relative(old))
    return {"outputs": existing, "overwrites": overwrites}
