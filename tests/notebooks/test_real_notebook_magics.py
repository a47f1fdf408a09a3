"""A real notebook in the style people write: shell escapes, %%capture, %%bash --out,
display, top-level await and %time in exploration cells. The module must end with the
values a real kernel ends with, and leaks through magics or star imports are refused."""

from __future__ import annotations

import copy
import dataclasses

import nbformat
import pytest

from jupyter_bighead.errors import DependencyError
from jupyter_bighead.notebooks import productionize

from .test_productionize import load_module
from .test_real_notebooks import CASES, kernel_finals, summarize, tagged, workspace

AUTODIFF = next(c for c in CASES if c.file == "handson_autodiff.ipynb")
EXTRA = [  # (source, prototype?) appended after the notebook's own cells
    ("!echo shell ran > shell_marker.txt", False),
    ('%%capture captured\nprint("autodiff done:", result)\ncapture_note = "inside capture"',
     False),
    ("%%bash --out bash_out\necho from bash $((6 * 7))", False),
    ("display(str(f))", False),
    ("import asyncio\nawait asyncio.sleep(0)\nawaited = True", True),
    ("%time doubled = result * 2", True),
    ("summary = ' | '.join([captured.stdout.strip(), capture_note, bash_out.strip(),\n"
     "                       open('shell_marker.txt').read().strip()])", False),
]
CASE = dataclasses.replace(AUTODIFF, finals=(*AUTODIFF.finals, "summary"))


def with_extra_cells(tmp_path, extra):
    path = tagged(workspace(tmp_path, CASE), CASE.prototype)
    nb = nbformat.read(path, as_version=4)
    for source, prototype in extra:
        cell = nbformat.v4.new_code_cell(source)
        if nb.nbformat_minor < 5:
            del cell["id"]  # the stored notebook is nbformat 4.4
        if prototype:
            cell.metadata["tags"] = ["prototype"]
        nb.cells.append(cell)
    nbformat.write(nb, path)
    return path, len(nb.cells) - len(extra)


def test_shell_capture_bash_display_and_await_cells_run_in_the_module_as_in_a_kernel(
        tmp_path, monkeypatch):
    path, _ = with_extra_cells(tmp_path / "kernel", EXTRA)
    in_kernel = kernel_finals(path, CASE)
    assert in_kernel[-1] == "autodiff done: 42 | inside capture | from bash 42 | shell ran"

    path, _ = with_extra_cells(tmp_path / "module", EXTRA)
    result = productionize(path)
    assert "await" not in result.module.read_text()  # the prototype cell stays out
    assert not any("will be undefined" in w for w in result.warnings), result.warnings
    monkeypatch.chdir(path.parent)
    namespace = load_module(result.module).main()
    assert [summarize(eval(e, copy.copy(namespace))) for e in CASE.finals] == in_kernel


@pytest.mark.parametrize("leak, reader, name", [
    ("%time doubled = result * 2", "print(doubled)", "doubled"),
    ("%%capture captured\nprint(result)", "text = captured.stdout", "captured"),
    ("from numpy import *", "total = sum([[1, 2], [3, 4]])", "sum"),
])
def test_leaks_through_magics_and_star_imports_are_refused_on_a_real_notebook(
        tmp_path, leak, reader, name):
    pytest.importorskip("numpy")
    path, first = with_extra_cells(tmp_path, [(leak, True), (reader, False)])
    with pytest.raises(DependencyError) as info:
        productionize(path)
    offenses = {o["cell"]: o["names"] for o in info.value.details["offenses"]}
    assert offenses == {first + 1: [name]}
