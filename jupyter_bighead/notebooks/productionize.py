"""``productionize``: strip prototype cells, check dependencies, write notebook + module."""

from __future__ import annotations

import copy
import hashlib
import json
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .._io import atomic_write_text
from ..errors import Conflict, DependencyError, InvalidSpec, NotFound
from ..gitinfo import git_state
from .deps import DependencyReport, check_dependencies
from .module import build_module
from .tags import is_parameters, is_production_code, is_prototype

MANIFEST = "production.json"


@dataclass(frozen=True)
class ProductionResult:
    """What :func:`productionize` wrote."""

    source: Path
    notebook: Path
    module: Path
    manifest: Path
    report: DependencyReport
    removed_cells: tuple[int, ...]
    warnings: tuple[str, ...] = ()
    executed: Path | None = None
    parameters: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": str(self.source),
            "notebook": str(self.notebook),
            "module": str(self.module),
            "manifest": str(self.manifest),
            "executed": str(self.executed) if self.executed else None,
            "removed_cells": list(self.removed_cells),
            "warnings": list(self.warnings),
            "dependencies": self.report.to_dict(),
        }


def read_notebook(path: str | Path) -> Any:
    """Read and validate a notebook; a clear InvalidSpec/NotFound otherwise."""
    import nbformat

    path = Path(path)
    if not path.is_file():
        raise NotFound(f"notebook {path} does not exist")
    try:
        text = path.read_text("utf-8")
        json.loads(text)
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidSpec(f"{path} is not a valid notebook: invalid JSON: {exc}") from exc
    try:
        nb = nbformat.reads(text, as_version=4)
    except Exception as exc:  # nbformat raises assorted errors on malformed structures
        raise InvalidSpec(f"{path} is not a valid notebook: {exc}") from exc
    try:
        nbformat.validate(nb)
    except nbformat.ValidationError as exc:
        # nbformat itself reads such notebooks with only a warning (e.g. a 4.4 notebook
        # whose cells carry ids, or stray metadata); repair what it would, refuse the rest.
        nb = _repaired(nb, path, exc)
    except Exception as exc:
        raise InvalidSpec(f"{path} is not a valid notebook: {exc}") from exc
    return nb


def _repaired(nb: Any, path: Path, error: Any) -> Any:
    import nbformat
    from nbformat.validator import normalize

    cells = nb.get("cells")
    if not isinstance(cells, list) or not all(isinstance(c, dict) for c in cells):
        raise InvalidSpec(f"{path} is not a valid notebook: {error.message}")
    if nb.get("nbformat") == 4 and int(nb.get("nbformat_minor", 0)) < 5 \
            and any("id" in c for c in cells):
        nb["nbformat_minor"] = 5  # cell ids are part of nbformat 4.5
    for cell in cells:
        if int(nb.get("nbformat_minor", 0)) >= 5 and "id" not in cell:
            cell["id"] = uuid.uuid4().hex[:8]
        if cell.get("cell_type") == "code":
            cell.setdefault("execution_count", None)
            cell.setdefault("outputs", [])
        else:
            cell.pop("execution_count", None)
            cell.pop("outputs", None)
    try:
        _changes, fixed = normalize(nb, strip_invalid_metadata=True)
        fixed = nbformat.from_dict(fixed)
        nbformat.validate(fixed)
    except Exception as exc:
        raise InvalidSpec(f"{path} is not a valid notebook: {error.message}") from exc
    return fixed


def module_name_for(stem: str) -> str:
    name = re.sub(r"\W+", "_", stem).strip("_").lower() or "notebook"
    return ("nb_" + name) if name[0].isdigit() else name


def productionize(
    path: str | Path,
    out_dir: str | Path | None = None,
    execute: bool = False,
    *,
    parameters: Mapping[str, Any] | None = None,
    force: bool = False,
    kernel_name: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> ProductionResult:
    """Write the production notebook, module and manifest of ``path``.

    Outputs go to ``out_dir`` (default: ``<notebook folder>/<stem>_production/``):
    ``<stem>.ipynb`` without prototype cells and with outputs cleared,
    ``<module>.py`` with ``main(**parameters)``, and ``production.json``.

    Raises
    ------
    NotFound, InvalidSpec
        The notebook is missing or invalid, has no production code cells, or
        ``parameters`` were given but it has no ``parameters`` cell.
    DependencyError
        A production cell reads names only prototype cells define; ``details``
        lists each offending cell.
    Conflict
        An output exists and ``force`` is false, or an output would overwrite the source.
    ExecutionFailed
        With ``execute=True``, when a cell fails; the executed notebook is kept.
    """
    say = progress or (lambda _msg: None)
    source = Path(path).resolve()
    nb = read_notebook(source)
    raw = source.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()

    if not any(is_production_code(c) for c in nb.cells):
        raise InvalidSpec(f"{source.name} has no production code cells (all code is prototype)")
    if parameters and not any(is_parameters(c) and not is_prototype(c) for c in nb.cells):
        raise InvalidSpec(
            f"parameters {sorted(parameters)} were given but {source.name} has no cell "
            "tagged 'parameters'"
        )

    say("checking that production cells do not depend on prototype cells")
    report = check_dependencies(nb.cells)
    if not report.ok:
        raise DependencyError(
            f"{source.name}: production cells depend on prototype cells:\n{report.describe()}",
            details=report.to_dict(),
        )

    out = Path(out_dir).resolve() if out_dir else source.parent / f"{source.stem}_production"
    prod_nb_path = out / f"{source.stem}.ipynb"
    module_path = out / f"{module_name_for(source.stem)}.py"
    manifest_path = out / MANIFEST
    targets = [prod_nb_path, module_path, manifest_path]
    if source in targets:
        raise Conflict(f"productionize never overwrites its source notebook {source}")
    existing = [str(t) for t in targets if t.exists()]
    if existing and not force:
        raise Conflict(f"refusing to overwrite {', '.join(existing)}; pass force=True (--force)")

    prod = copy.deepcopy(nb)
    removed = tuple(i for i, c in enumerate(nb.cells) if is_prototype(c))
    kept = []
    for index, cell in enumerate(prod.cells):
        if is_prototype(cell):
            continue
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        cell.metadata["bighead_index"] = index
        kept.append(cell)
    prod.cells = kept
    module_text, warnings = build_module(kept, source.name, digest)
    for cell in prod.cells:
        cell.metadata.pop("bighead_index", None)

    import nbformat

    git = git_state(source)
    manifest = {
        "source": str(source),
        "source_sha256": digest,
        "git": git.to_dict(),
        "created": datetime.now(UTC).isoformat(),
        "notebook": prod_nb_path.name,
        "module": module_path.name,
        "removed_cells": list(removed),
        "warnings": warnings,
    }
    say(f"writing {prod_nb_path.name}, {module_path.name} and {MANIFEST} to {out}")
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(prod_nb_path, nbformat.writes(prod) + "\n")
    atomic_write_text(module_path, module_text)
    atomic_write_text(manifest_path, json.dumps(manifest, indent=2) + "\n")

    executed = None
    if execute:
        from .execute import run_notebook

        executed = out / f"{source.stem}.executed.ipynb"
        say(f"executing {prod_nb_path.name} with papermill")
        run_notebook(prod_nb_path, executed, parameters=dict(parameters or {}),
                     kernel_name=kernel_name, cwd=source.parent)
    return ProductionResult(
        source=source, notebook=prod_nb_path, module=module_path, manifest=manifest_path,
        report=report, removed_cells=removed, warnings=tuple(warnings), executed=executed,
        parameters=dict(parameters or {}),
    )
