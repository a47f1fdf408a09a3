"""The production module keeps the meaning of the notebook: magics, globals, display."""

from __future__ import annotations

import json
import pickle
import py_compile
import subprocess
import sys

import nbformat
import pytest

from jupyter_bighead.errors import InvalidSpec
from jupyter_bighead.notebooks import productionize

from .helpers import code, md, proto, write_nb
from .test_productionize import load_module

MODEL = code("class Model:\n    fitted = False\n    def fit(self, x):\n        self.fitted = True\n"
             "        return self\n\nmodel = Model()")


def run_main(tmp_path, cells, **parameters):
    result = productionize(write_nb(tmp_path / "nb.ipynb", cells))
    py_compile.compile(str(result.module), doraise=True)
    return result, load_module(result.module).main(**parameters)


def test_a_model_fitted_under_time_magics_is_fitted_by_the_module(tmp_path):
    result, ns = run_main(tmp_path, [
        MODEL,
        code("%time model.fit([1, 2])\n%time scaled = [2 * v for v in [1, 2]]"),
        code("%%time\ncell_timed = model.fitted\nlate = 'yes'"),
        code("value = %time len([1, 2, 3])"),
        code("if model.fitted:\n    %time inside_if = 1\nelse:\n    inside_if = 0"),
    ])
    assert ns["model"].fitted is True
    assert ns["scaled"] == [2, 4]
    assert (ns["cell_timed"], ns["late"]) == (True, "yes")
    assert ns["value"] == 3
    assert ns["inside_if"] == 1
    assert "pass  #" not in result.module.read_text()


def test_timeit_runs_its_code_once_and_binds_nothing_as_in_ipython(tmp_path):
    # IPython runs %timeit's statement inside a function: `x = ...` never reaches the
    # notebook, but its side effects (fitting a model) do.
    result, ns = run_main(tmp_path, [
        MODEL, code("%timeit -n 3 -r 1 unbound = model.fit([1])"),
        code("%%timeit -n1 -r1 calls = []\ncalls.append(1)"),
    ])
    assert ns["model"].fitted is True
    assert "unbound" not in ns and "calls" not in ns
    assert any("runs once" in w for w in result.warnings)


def test_capture_cell_runs_its_body_and_keeps_the_captured_output(tmp_path, capsys):
    _, ns = run_main(tmp_path, [code("%%capture out\nprint('hidden text')\ncaptured = 42")])
    assert ns["captured"] == 42
    assert ns["out"].stdout == "hidden text\n"
    assert "hidden text" not in capsys.readouterr().out


def test_shell_escapes_run_in_a_shell_with_ipython_expansion(tmp_path):
    target = tmp_path / "written.txt"
    _, ns = run_main(tmp_path, [
        code(f"path = {str(target)!r}\nword = 'hello'"),
        code("!echo {word} > {path}\nlines = !printf 'a\\nb\\n'\nwho = !echo $word"),
    ])
    assert target.read_text().strip() == "hello"
    assert list(ns["lines"]) == ["a", "b"]
    assert ns["lines"].s == "a b"  # IPython's SList, not a bare list
    assert list(ns["who"]) == ["hello"]


def test_env_and_cd_magics_have_their_python_meaning(tmp_path, monkeypatch):
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BIGHEAD_FIDELITY", raising=False)
    _, ns = run_main(tmp_path, [
        code("%env BIGHEAD_FIDELITY=on\nimport os\nseen = os.environ['BIGHEAD_FIDELITY']"),
        code("%cd sub\nhere = os.getcwd()\nhome = %env BIGHEAD_FIDELITY"),
    ])
    assert ns["seen"] == "on" and ns["home"] == "on"
    assert ns["here"] == str(tmp_path / "sub")


@pytest.mark.parametrize("cell,line,text", [
    ("x = 1\n%store -r x", 2, "%store -r x"),
    ("%%perl\nprint 1", 1, "%%perl"),
    ("y = 2\nr = %timeit -o y + 1", 2, "%timeit"),
    ("%history -f out.py\n%load helpers.py", 2, "%load"),
])
def test_a_magic_without_python_meaning_is_refused_with_cell_and_line(tmp_path, cell, line, text):
    src = write_nb(tmp_path / "nb.ipynb", [md("# t"), code("a = 1"), code(cell)])
    with pytest.raises(InvalidSpec) as info:
        productionize(src)
    assert info.value.details["cell"] == 2 and info.value.details["line"] == line
    assert "cell 3 (" in info.value.message and f"line {line}" in info.value.message
    assert text in info.value.message
    assert not (tmp_path / "nb_production").exists()


def test_display_only_magics_are_left_out_with_one_note_each(tmp_path):
    result, ns = run_main(tmp_path, [code("%matplotlib inline\n%config X.y = 1\nz = 3")])
    assert ns["z"] == 3
    assert len([w for w in result.warnings if "%matplotlib" in w]) == 1
    assert len([w for w in result.warnings if "%config" in w]) == 1


def test_shell_escapes_are_reported_once(tmp_path):
    src = write_nb(tmp_path / "nb.ipynb", [code("!echo once\n%matplotlib inline")])
    result = productionize(src)
    assert [m.text for m in result.report.magics] == ["!echo once", "%matplotlib inline"]
    assert len(result.warnings) == len(set(result.warnings)) == 1
    manifest = json.loads(result.manifest.read_text())
    assert manifest["warnings"] == list(result.warnings)


def test_top_level_await_is_refused_and_nothing_is_written(tmp_path):
    src = write_nb(tmp_path / "nb.ipynb", [
        code("import asyncio"), code("x = 1\nvalue = await asyncio.sleep(0, 5)")])
    with pytest.raises(InvalidSpec, match=r"cell 2 .*line 2: top-level `await`"):
        productionize(src)
    assert not (tmp_path / "nb_production").exists()


def test_await_inside_an_async_function_is_fine(tmp_path):
    _, ns = run_main(tmp_path, [code(
        "import asyncio\nasync def get():\n    return await asyncio.sleep(0, 7)\n"
        "value = asyncio.run(get())")])
    assert ns["value"] == 7


def test_display_in_a_production_cell_runs_in_the_module(tmp_path):
    result, ns = run_main(tmp_path, [code("shown = {'a': 1}\ndisplay(shown)")])
    assert ns["shown"] == {"a": 1}
    done = subprocess.run([sys.executable, str(result.module)], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "{'a': 1}" in done.stdout


def test_kernel_only_names_are_refused(tmp_path):
    src = write_nb(tmp_path / "nb.ipynb", [code("1 + 1"), code("last = Out[1]")])
    with pytest.raises(InvalidSpec, match="cell 2 reads Out"):
        productionize(src)


def test_global_statements_globals_and_eval_keep_notebook_semantics(tmp_path):
    _, ns = run_main(tmp_path, [
        code("n = 3", "parameters"),
        code("counter = 0\ndef bump():\n    global counter\n    counter += n"),
        code("bump()\nbump()\nglobals()['made_dynamically'] = 'yes'"),
        code("seen = eval('counter')\nnames = sorted(k for k in globals() if k in "
             "('counter', 'made_dynamically', 'n'))\nrun_as = __name__"),
    ], n=5)
    assert ns["counter"] == 10 and ns["seen"] == 10
    assert ns["made_dynamically"] == "yes"
    assert ns["names"] == ["counter", "made_dynamically", "n"]
    assert ns["run_as"] == "__main__"  # as in the notebook


def test_classes_defined_in_cells_pickle_as_they_do_in_the_notebook(tmp_path):
    _, ns = run_main(tmp_path, [code(
        "import pickle\nclass Point:\n    def __init__(self, x):\n        self.x = x\n"
        "blob = pickle.dumps(Point(2))\nback = pickle.loads(blob).x")])
    assert ns["back"] == 2
    assert b"__main__" in ns["blob"]
    with pytest.raises(AttributeError):  # the class lived in the run, not in this process
        pickle.loads(ns["blob"])


def test_parameters_are_bound_right_after_the_parameters_cell(tmp_path):
    result, ns = run_main(tmp_path, [
        code("import pathlib"),
        code("folder = pathlib.Path('data')\nrate = 0.1\nlabel = f'r{rate}'", "parameters"),
        code("final = (str(folder), rate, label)"),
    ], rate=0.5)
    # papermill's rule: the cell's own statements ran with the defaults, then the
    # given parameters replaced them.
    assert ns["final"] == ("data", 0.5, "r0.1")
    done = subprocess.run([sys.executable, str(result.module), "--folder", '"x"'],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stderr


def test_a_notebook_without_parameters_runs_with_none(tmp_path):
    _, ns = run_main(tmp_path, [code("x = 1")])
    assert ns == {"x": 1}


def test_an_nbformat_4_4_notebook_with_cell_ids_is_accepted(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])
    raw = json.loads(nbformat.writes(nb))
    raw["nbformat_minor"] = 4  # a writer that adds ids but keeps the old minor version
    raw["cells"][0]["id"] = "abc"
    raw["cells"].append({"cell_type": "markdown", "metadata": {}, "source": "# t",
                         "outputs": []})  # a stray key nbformat reads with a warning
    src = tmp_path / "old.ipynb"
    src.write_text(json.dumps(raw))
    result = productionize(src)
    assert load_module(result.module).main() == {"x": 1}
    nbformat.validate(nbformat.read(result.notebook, as_version=4))


def test_prototype_cells_never_reach_the_module(tmp_path):
    result, ns = run_main(tmp_path, [code("a = 1"), proto("%store -r a\nb = a"), code("c = a")])
    assert ns == {"a": 1, "c": 1}
    assert "store" not in result.module.read_text()


def test_a_refused_magic_inside_a_cell_magic_names_its_own_line(tmp_path):
    src = write_nb(tmp_path / "nb.ipynb", [code("%%time\nx = 1\n%store x\ny = 2")])
    with pytest.raises(InvalidSpec) as info:
        productionize(src)
    assert info.value.details["line"] == 3
    assert info.value.details["text"] == "%store x"


def test_get_ipython_is_refused_unless_the_notebook_imports_it_itself(tmp_path):
    src = write_nb(tmp_path / "nb.ipynb", [code("shell = get_ipython()\nx = 1")])
    with pytest.raises(InvalidSpec, match="cell 1 reads get_ipython"):
        productionize(src)
    _, ns = run_main(tmp_path / "own", [code(
        "from IPython import get_ipython\ninteractive = get_ipython() is not None")])
    assert ns["interactive"] is False
