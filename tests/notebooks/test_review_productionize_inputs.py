"""Productionize on awkward inputs: a notebook named after a library, stray keys, lone
surrogates, odd file names; and undefined names shown where people look (warnings)."""

from __future__ import annotations

import json
import subprocess
import sys

import nbformat
import pytest

from jupyter_bighead.errors import InvalidSpec
from jupyter_bighead.notebooks import productionize
from jupyter_bighead.notebooks.productionize import module_name_for

from .helpers import code, write_nb
from .test_productionize import load_module


def test_a_notebook_named_after_a_library_it_imports_gets_a_module_that_does_not_shadow_it(
        tmp_path):
    result = productionize(write_nb(tmp_path / "json.ipynb", [
        code("import json as js\nout = js.dumps([1])")]))
    assert result.module.name == "json_production.py"
    done = subprocess.run([sys.executable, str(result.module)], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("stem, imports, expected", [
    ("lightgbm", ["lightgbm"], "lightgbm_production"),
    ("random", [], "random_production"),          # standard library, imported indirectly
    ("my_churn_model", ["pandas"], "my_churn_model"),
    ("mytool", ["mytool"], "mytool_production"),  # the notebook imports it, installed or not
])
def test_module_names_never_shadow_an_importable_module(stem, imports, expected):
    assert module_name_for(stem, imports) == expected


def test_undefined_names_are_listed_in_the_warnings_with_one_based_cell_numbers(tmp_path):
    result = productionize(write_nb(tmp_path / "nb.ipynb", [
        code("x = 1"), code("files = ls\nprint(pwd)")]))
    assert dict(result.report.undefined) == {1: ("ls", "pwd")}  # 0-based index in the JSON
    assert any(w.startswith("cell 2: ls, pwd will be undefined") for w in result.warnings)
    manifest = json.loads(result.manifest.read_text())
    assert manifest["warnings"] == list(result.warnings)


def test_stray_cell_and_notebook_keys_that_nbformat_reads_are_repaired(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])
    raw = json.loads(nbformat.writes(nb))
    raw["nbformat_minor"] = 4
    raw["cells"][0].pop("id", None)
    raw["cells"][0]["extra_key"] = 5
    raw["stray"] = True
    src = tmp_path / "old.ipynb"
    src.write_text(json.dumps(raw))
    nbformat.read(src, as_version=4)  # nbformat accepts it (with a warning)
    result = productionize(src)
    assert load_module(result.module).main() == {"x": 1}
    written = nbformat.read(result.notebook, as_version=4)
    nbformat.validate(written)
    assert "extra_key" not in written.cells[0]


def test_a_lone_surrogate_in_a_cell_is_refused_with_cell_and_line(tmp_path):
    src = tmp_path / "nb.ipynb"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("a = 1"),
                                         nbformat.v4.new_code_cell("y = 2\nx = 'PLACE'")])
    src.write_text(nbformat.writes(nb).replace("PLACE", "\\ud800"), "utf-8")
    with pytest.raises(InvalidSpec, match=r"cell 2, line 2 .*surrogate \(U\+D800\)") as err:
        productionize(src)
    assert err.value.details == {"cell": 1, "line": 2}
    assert not (tmp_path / "nb_production").exists()


def test_a_lone_surrogate_in_the_metadata_is_refused_before_anything_is_written(tmp_path):
    src = write_nb(tmp_path / "nb.ipynb", [code("x = 1")])
    raw = json.loads(src.read_text())
    raw["metadata"]["note"] = "\udc80"
    src.write_text(json.dumps(raw))  # ASCII JSON with the escape "\\udc80"
    with pytest.raises(InvalidSpec, match="cannot be written as UTF-8"):
        productionize(src)
    assert not (tmp_path / "nb_production").exists()


@pytest.mark.parametrize("stem", ["we\\Nird", 'q"""', "q\"", "tab\there", "a'''b"])
def test_notebook_names_with_quotes_and_backslashes_give_a_module_that_runs(tmp_path, stem):
    result = productionize(write_nb(tmp_path / f"{stem}.ipynb", [code("x = 1")]))
    module = load_module(result.module)
    assert module.main() == {"x": 1}
    assert f"{stem}.ipynb" in module.__doc__


def test_a_report_shows_a_lone_surrogate_escaped_instead_of_failing(tmp_path):
    from jupyter_bighead.notebooks.report import report

    src = tmp_path / "nb.ipynb"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 'PLACE'")])
    src.write_text(nbformat.writes(nb).replace("PLACE", "\\ud800"), "utf-8")
    page = report(src, sections=[]).read_text("utf-8")
    assert "\\ud800" in page
