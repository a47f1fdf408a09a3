"""productionize: strip, check, write notebook + module + manifest, optionally execute."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys

import nbformat
import pytest

from jupyter_bighead.errors import (
    Conflict,
    DependencyError,
    ExecutionFailed,
    InvalidSpec,
    NotFound,
)
from jupyter_bighead.notebooks import productionize

from .helpers import code, md, proto, write_nb

SQL = 'QUERY = """select *\n  from t\nwhere a > 1"""'


def training_notebook(tmp_path):
    return write_nb(tmp_path / "train.ipynb", [
        md("# Train"),
        code("alpha = 0.5\nrounds = 3\nname = 'm'", "parameters"),
        code("import math\n" + SQL),
        proto("import matplotlib\nprint('exploring', alpha)"),
        code("%env BIGHEAD_TEST_MAGIC=1\nscore = math.sqrt(rounds) * alpha"),
        md("Scratch notes", "prototype"),
        code("result = f'{name}:{score:.3f}'\nprint(result)"),
    ])


def load_module(path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_productionize_writes_notebook_module_and_manifest(tmp_path):
    src = training_notebook(tmp_path)
    before = src.read_bytes()
    result = productionize(src)

    assert src.read_bytes() == before  # the source is never touched
    assert result.notebook == tmp_path / "train_production" / "train.ipynb"
    nb = nbformat.read(result.notebook, as_version=4)
    sources = [c.source for c in nb.cells]
    assert not any("exploring" in s or "Scratch" in s for s in sources)
    assert all(c.outputs == [] and c.execution_count is None
               for c in nb.cells if c.cell_type == "code")
    assert result.removed_cells == (3, 5)

    manifest = json.loads(result.manifest.read_text())
    assert manifest["source"] == str(src.resolve())
    assert len(manifest["source_sha256"]) == 64
    assert set(manifest["git"]) == {"commit", "dirty", "root"}
    assert manifest["created"]


def test_module_main_takes_the_parameters_cell_as_arguments(tmp_path, monkeypatch):
    monkeypatch.delenv("BIGHEAD_TEST_MAGIC", raising=False)
    result = productionize(training_notebook(tmp_path))
    module = load_module(result.module)
    ns = module.main()
    assert ns["result"] == "m:0.866"
    assert module.main(alpha=1.0, rounds=4, name="x")["result"] == "x:2.000"
    # Multi-line strings survive the move into the module unchanged.
    assert ns["QUERY"] == "select *\n  from t\nwhere a > 1"
    text = result.module.read_text()
    assert "def main(alpha=0.5, rounds=3, name='m'):" in text
    # %env has a Python meaning, so the module does it instead of skipping it.
    assert os.environ["BIGHEAD_TEST_MAGIC"] == "1"
    assert result.warnings == ()


def test_module_has_a_command_line_entry_point(tmp_path):
    result = productionize(training_notebook(tmp_path))
    done = subprocess.run([sys.executable, str(result.module), "--alpha", "2", "--name", "cli"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "cli:3.464" in done.stdout


def test_dependency_failure_lists_offending_cells_and_writes_nothing(tmp_path):
    src = write_nb(tmp_path / "nb.ipynb", [
        proto("import pandas as pd\ndf = pd.DataFrame({'a': [1, 2]})"),
        code("total = df.a.sum()"),
        code("frame = pd.DataFrame()"),
    ])
    with pytest.raises(DependencyError) as info:
        productionize(src)
    details = info.value.details
    assert [o["cell"] for o in details["offenses"]] == [1, 2]
    assert details["offenses"][0]["first_line"] == "total = df.a.sum()"
    assert details["offenses"][0]["names"] == ["df"]
    assert details["offenses"][1]["names"] == ["pd"]
    assert "cell 2" in info.value.message and "cell 3" in info.value.message
    assert not (tmp_path / "nb_production").exists()


def test_existing_outputs_are_not_overwritten_without_force(tmp_path):
    src = training_notebook(tmp_path)
    first = productionize(src)
    first.module.write_text("# my edit\n")
    with pytest.raises(Conflict, match="force"):
        productionize(src)
    assert first.module.read_text() == "# my edit\n"
    again = productionize(src, force=True)
    assert "def main(" in again.module.read_text()


def test_output_folder_can_be_chosen_but_never_the_source(tmp_path):
    src = training_notebook(tmp_path)
    result = productionize(src, out_dir=tmp_path / "out")
    assert result.notebook.parent == tmp_path / "out"
    with pytest.raises(Conflict, match="never overwrites its source"):
        productionize(src, out_dir=tmp_path, force=True)


@pytest.mark.parametrize(
    "content,match",
    [("{not json", "not a valid notebook"), ('{"cells": 3}', "not a valid notebook")],
)
def test_invalid_notebooks_get_a_clear_error(tmp_path, content, match):
    bad = tmp_path / "bad.ipynb"
    bad.write_text(content)
    with pytest.raises(InvalidSpec, match=match):
        productionize(bad)


def test_missing_notebook_is_not_found(tmp_path):
    with pytest.raises(NotFound):
        productionize(tmp_path / "nope.ipynb")


def test_a_notebook_without_production_cells_is_refused(tmp_path):
    src = write_nb(tmp_path / "p.ipynb", [md("# hi"), proto("x = 1")])
    with pytest.raises(InvalidSpec, match="no production code cells"):
        productionize(src)


def test_parameters_without_a_parameters_cell_are_refused(tmp_path):
    src = write_nb(tmp_path / "p.ipynb", [code("x = 1")])
    with pytest.raises(InvalidSpec, match="no cell tagged 'parameters'"):
        productionize(src, parameters={"x": 2})


def test_execute_runs_the_production_notebook_with_parameters(tmp_path):
    result = productionize(training_notebook(tmp_path), execute=True,
                           parameters={"name": "run"})
    executed = nbformat.read(result.executed, as_version=4)
    printed = "".join(o.get("text", "") for c in executed.cells if c.cell_type == "code"
                      for o in c.outputs)
    assert "run:0.866" in printed


def test_execution_failure_names_the_cell_and_keeps_the_notebook(tmp_path):
    src = write_nb(tmp_path / "f.ipynb", [code("x = 1"), code("raise ValueError('broken data')")])
    with pytest.raises(ExecutionFailed) as info:
        productionize(src, execute=True)
    assert info.value.details["ename"] == "ValueError"
    assert "broken data" in info.value.details["evalue"]
    assert "cell 2" in info.value.message
    assert (tmp_path / "f_production" / "f.executed.ipynb").exists()


def test_a_kernel_that_is_not_installed_is_a_clear_error(tmp_path):
    src = write_nb(tmp_path / "k.ipynb", [code("x = 1")])
    with pytest.raises(InvalidSpec, match="kernel 'no-such-kernel' is not installed"):
        productionize(src, execute=True, kernel_name="no-such-kernel")
