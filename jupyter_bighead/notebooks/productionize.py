"""``productionize``: strip prototype cells, check dependencies, write notebook + module."""

from __future__ import annotations

import copy
import hashlib
import json
import re
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .._io import atomic_write_text
from ..errors import Conflict, DependencyError, InvalidSpec, NotFound
from ..gitinfo import git_state
from .deps import DependencyReport, cell_source, check_dependencies
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


_NOTEBOOK_KEYS = {"metadata", "nbformat", "nbformat_minor", "cells"}
_CELL_KEYS = {"code": {"id", "cell_type", "metadata", "source", "outputs", "execution_count"},
              "markdown": {"id", "cell_type", "metadata", "source", "attachments"},
              "raw": {"id", "cell_type", "metadata", "source", "attachments"}}


def _refuse_surrogates(nb: Any, path: Path) -> None:
    """A lone surrogate (``'\\ud800'`` in the JSON) cannot be written as UTF-8: refuse it."""
    for index, cell in enumerate(nb.cells):
        for number, line in enumerate(cell_source(cell).splitlines(), start=1):
            bad = next((ch for ch in line if "\ud800" <= ch <= "\udfff"), None)
            if bad is not None:
                raise InvalidSpec(
                    f"{path.name}: cell {index + 1}, line {number} holds a lone surrogate "
                    f"(U+{ord(bad):04X}), which no UTF-8 file can hold; write it as an "
                    f"escape ('\\u{ord(bad):04x}') in the notebook",
                    details={"cell": index, "line": number})


def _repaired(nb: Any, path: Path, error: Any) -> Any:
    import nbformat
    from nbformat.validator import normalize

    cells = nb.get("cells")
    if not isinstance(cells, list) or not all(isinstance(c, dict) for c in cells):
        raise InvalidSpec(f"{path} is not a valid notebook: {error.message}")
    if nb.get("nbformat") == 4 and int(nb.get("nbformat_minor", 0)) < 5 \
            and any("id" in c for c in cells):
        nb["nbformat_minor"] = 5  # cell ids are part of nbformat 4.5
    for key in set(nb) - _NOTEBOOK_KEYS:
        nb.pop(key)  # stray keys nbformat.read accepts with a warning
    for cell in cells:
        for key in set(cell) - _CELL_KEYS.get(str(cell.get("cell_type")), set(cell)):
            cell.pop(key)
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


def module_name_for(stem: str, imports: Iterable[str] = ()) -> str:
    """The generated module's name: ``stem`` as an identifier that shadows no module.

    ``python lightgbm_production/lightgbm.py`` would import itself on
    ``import lightgbm``: a name the notebook imports, a standard-library module or
    an installed top-level module gets the suffix ``_production``.
    """
    name = re.sub(r"\W+", "_", stem).strip("_").lower() or "notebook"
    name = ("nb_" + name) if name[0].isdigit() else name
    return name + "_production" if _importable(name, imports) else name


def _importable(name: str, imports: Iterable[str]) -> bool:
    import importlib.util
    import sys

    if name in set(imports) or name in sys.stdlib_module_names or name in sys.modules:
        return True
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def _top_level_imports(cells: Iterable[Any]) -> set[str]:
    """Top-level module names the code cells import (as far as they parse)."""
    import ast

    from .source import to_python

    found: set[str] = set()
    for cell in cells:
        if cell.get("cell_type") != "code":
            continue
        try:
            tree = ast.parse(to_python(cell_source(cell)))
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found.add(node.module.split(".")[0])
    return found


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

    _refuse_surrogates(nb, source)
    say("checking that production cells do not depend on prototype cells")
    report = check_dependencies(nb.cells)
    if not report.ok:
        raise DependencyError(
            f"{source.name}: production cells depend on prototype cells:\n{report.describe()}",
            details=report.to_dict(),
        )

    out = Path(out_dir).resolve() if out_dir else source.parent / f"{source.stem}_production"
    prod_nb_path = out / f"{source.stem}.ipynb"
    module_path = out / f"{module_name_for(source.stem, _top_level_imports(nb.cells))}.py"
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
    # Names no production cell, builtin or import binds: the module will raise NameError
    # there unless something outside the notebook provides them. Say so where people look.
    warnings += [f"cell {index + 1}: {', '.join(names)} will be undefined when the module "
                 "runs (bound by no production cell, import or builtin)"
                 for index, names in sorted(report.undefined.items())]
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
    texts = {prod_nb_path: nbformat.writes(prod) + "\n", module_path: module_text,
             manifest_path: json.dumps(manifest, indent=2) + "\n"}
    for target, text in texts.items():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as exc:  # e.g. a lone surrogate in the metadata
            raise InvalidSpec(f"{target.name} cannot be written as UTF-8: {exc.reason} "
                              f"({text[exc.start:exc.end]!a})") from exc
    say(f"writing {prod_nb_path.name}, {module_path.name} and {MANIFEST} to {out}")
    out.mkdir(parents=True, exist_ok=True)
    for target, text in texts.items():
        atomic_write_text(target, text)

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
