"""The dependency check reads the code the module runs: names under %time, %%capture,
%%bash --out; builtins shadowed by a prototype star import; %%bash options."""

from __future__ import annotations

import subprocess
import sys

import pytest

from jupyter_bighead.errors import DependencyError, InvalidSpec
from jupyter_bighead.notebooks import check_dependencies, productionize

from .helpers import code, proto, write_nb
from .test_productionize import load_module


def offending_names(cells):
    return {name for o in check_dependencies(cells).offenses for name in o.names}


@pytest.mark.parametrize("prototype, production", [
    ("%time model = 5", "pred = model + 1"),
    ("%%time\nmodel = 5", "pred = model + 1"),
    ("%%capture model\nprint(1)", "pred = model.stdout"),
    ("model = 5", "%time pred = model + 1"),
    ("model = 5", "%%time\npred = model + 1"),
    ("model = 5", "%%capture cap\nprint(model)"),
])
def test_names_bound_or_read_under_time_and_capture_magics_are_dependencies(
        prototype, production):
    assert offending_names([proto(prototype), code(production)]) == {"model"}


def test_names_bound_under_time_in_production_are_not_reported_undefined():
    report = check_dependencies([code("%time model = 5"), code("%%capture cap\nprint(1)"),
                                 code("%%bash --out out\necho hi"),
                                 code("pred = model + len(cap.stdout) + len(out)")])
    assert report.ok and not report.undefined


def test_productionize_refuses_a_module_that_would_miss_a_name_bound_under_time(tmp_path):
    src = write_nb(tmp_path / "nb.ipynb", [proto("%time model = [1, 2]"),
                                          code("pred = len(model)")])
    with pytest.raises(DependencyError, match="model"):
        productionize(src)
    assert not (tmp_path / "nb_production").exists()


@pytest.mark.parametrize("shadowing", ["from numpy import *", "%pylab inline"])
def test_builtins_shadowed_by_a_prototype_star_import_are_dependencies(shadowing):
    pytest.importorskip("numpy")
    if shadowing.startswith("%pylab"):
        pytest.importorskip("matplotlib")
    names = offending_names([proto(shadowing),
                             code("t = sum([[1, 2], [3, 4]])\nm = max(1, 2) + round(2.5)")])
    assert names == {"sum", "max", "round"}


def test_a_star_import_that_shadows_nothing_used_is_not_an_offense():
    assert check_dependencies([proto("from math import *"), code("print(len([1]))")]).ok


def test_a_production_star_import_of_the_same_module_rebinds_the_builtins_too():
    pytest.importorskip("numpy")
    assert check_dependencies([proto("from numpy import *"), code("from numpy import *"),
                               code("t = sum([1, 2])")]).ok


def run_module(path):
    return subprocess.run([sys.executable, str(path)], capture_output=True, text=True,
                          timeout=60, cwd=path.parent)


def test_bash_out_and_err_options_bind_variables_in_the_module(tmp_path):
    result = productionize(write_nb(tmp_path / "nb.ipynb", [
        code("%%bash --out bash_result --err bash_errors\necho hello\necho oops >&2"),
        code("print(bash_result.strip(), bash_errors.strip())")]))
    assert result.warnings == ()
    assert not result.report.undefined
    done = run_module(result.module)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "hello oops"
    ns = load_module(result.module).main()
    assert (ns["bash_result"], ns["bash_errors"]) == ("hello\n", "oops\n")


def test_bash_fails_the_module_unless_no_raise_error_as_in_ipython(tmp_path):
    failing = productionize(write_nb(tmp_path / "a.ipynb", [
        code("%%bash\nexit 3"), code("after = 1")]))
    assert "CalledProcessError" in run_module(failing.module).stderr
    carries_on = productionize(write_nb(tmp_path / "b.ipynb", [
        code("%%script bash --no-raise-error\nexit 3"), code("after = 1")]))
    assert load_module(carries_on.module).main() == {"after": 1}


@pytest.mark.parametrize("option", ["--bg", "--proc p", "--out", "--timeout 5"])
def test_bash_options_without_a_python_meaning_are_refused_with_cell_and_line(
        tmp_path, option):
    src = write_nb(tmp_path / "nb.ipynb", [code("x = 1"), code(f"%%bash {option}\necho hi")])
    with pytest.raises(InvalidSpec, match=r"cell 2 .*line 1: %%bash") as err:
        productionize(src)
    assert err.value.details["cell"] == 1
    assert not (tmp_path / "nb_production").exists()
