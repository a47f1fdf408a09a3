"""Productionize on real public notebooks (see data/README.md for sources and licences).

Each notebook is tried in two taggings. "ok": the exploration cells (plots, widgets,
printed peeks) are tagged prototype; productionize must write a module that compiles
and, run on the same small offline data, ends with the values the whole notebook ends
with in a real kernel. "leak": one more cell that production needs is tagged
prototype; productionize must refuse and name the production cells that read it.
"""

from __future__ import annotations

import copy
import inspect
import json
import py_compile
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
import pytest

from jupyter_bighead.errors import DependencyError
from jupyter_bighead.notebooks import productionize, set_prototype
from jupyter_bighead.notebooks.report import render_report

from .test_productionize import load_module

DATA = Path(__file__).parent / "data"


@dataclass(frozen=True)
class Case:
    file: str
    folder: str  # where the notebook runs, relative to the work folder
    prototype: tuple[int, ...]  # "ok" tagging: cell indices tagged prototype
    leak: int  # one more cell tagged prototype in the "leak" tagging
    leak_readers: tuple[int, ...]  # production cells that must be named
    leak_name: str
    finals: tuple[str, ...]  # expressions compared between kernel and module
    # Prototype cells the reference kernel run leaves out: nbclient sometimes never sees
    # the reply of a cell that opens ipywidgets' `interact` (jupyter/nbclient#312), and
    # the run hangs. They only draw plots; no final value depends on them.
    kernel_skip: tuple[int, ...] = ()


CASES = [
    Case("lightgbm_interactive_plot_example.ipynb", "examples/python-guide/notebooks",
         prototype=(11, 12, 14, 15, 17, 18, 20, 21), leak=7, leak_readers=(9,),
         leak_name="params",
         finals=("gbm.num_trees()", "gbm.predict(X_test.iloc[:5])",
                 "evals_result['valid_1']['l1'][-1]", "list(X_train.shape)", "INTERACTIVE"),
         kernel_skip=(15, 18, 21)),
    Case("handson_gradient_descent_comparison.ipynb", ".", prototype=(13, 14, 15), leak=9,
         leak_readers=(6, 7), leak_name="learning_schedule",
         # The notebook draws unseeded random data: compare what does not depend on it.
         finals=("bgd_len", "sgd_len", "mbgd_len", "n_iter", "list(cost_map.shape)",
                 "bool(abs(exact_solution[1, 0] - 3) < 0.5)")),
    Case("handson_decision_trees.ipynb", ".", prototype=(10, 18, 20, 22, 24, 31, 33), leak=7,
         leak_readers=(12, 13), leak_name="tree_clf",
         finals=("tree_clf.predict_proba([[5, 1.5]])", "tree_clf_tweaked.predict([[5, 1.5]])",
                 "tree_reg.predict([[0.6]])", "X[:3]", "IMAGES_PATH")),
    Case("handson_gradient_boosting.ipynb", ".", prototype=(17, 18, 23, 28), leak=13,
         leak_readers=(14,), leak_name="X_new",
         finals=("y_pred", "gbrt.n_estimators", "min_val_error", "bst_n_estimators",
                 "min_error", "gbrt_slow.predict([[0.1]])", "xgboost is None")),
    Case("handson_autodiff.ipynb", ".", prototype=(10, 14, 20, 26, 59, 61, 73), leak=18,
         leak_readers=(19, 23, 25, 42), leak_name="gradients",
         finals=("result", "x.gradient", "y.gradient", "dfdx", "dfdy",
                 "[d2fdxdx.evaluate(), d2fdydy.evaluate()]",
                 "str(f)")),
]
IDS = [c.file.removesuffix(".ipynb") for c in CASES]


def summarize(value: Any) -> Any:
    """A JSON-able, rounded picture of a value, the same in the kernel and here."""
    import numpy as np

    if isinstance(value, (bool, str)) or value is None:
        return value
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return repr(value)
    return np.round(array, 6).tolist()


def synthetic_regression_files(folder: Path) -> None:
    """Small stand-ins for LightGBM's examples/regression data (same layout, 28 features)."""
    import numpy as np

    rng = np.random.default_rng(7)
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in (("train", 300), ("test", 100)):
        x = np.round(rng.normal(size=(rows, 28)), 3)
        x[:, 21] = rng.integers(0, 4, size=rows)  # the notebook's categorical feature
        y = ((x[:, 25] + 0.5 * x[:, 0] + rng.normal(scale=0.5, size=rows)) > 0).astype(int)
        lines = ["\t".join([str(t), *(format(v, "g") for v in r)])
                 for t, r in zip(y, x, strict=True)]
        (folder / f"regression.{name}").write_text("\n".join(lines) + "\n")


def workspace(tmp: Path, case: Case) -> Path:
    """A fresh work folder holding the notebook (and its data), like its home repository."""
    folder = tmp / case.folder
    folder.mkdir(parents=True, exist_ok=True)
    if case.file.startswith("lightgbm"):
        synthetic_regression_files(tmp / "examples" / "regression")
    shutil.copy(DATA / case.file, folder / case.file)
    return folder / case.file


def tagged(path: Path, cells: tuple[int, ...]) -> Path:
    nb = nbformat.read(path, as_version=4)
    set_prototype([nb.cells[i] for i in cells])
    nbformat.write(nb, path)
    return path


def kernel_finals(path: Path, case: Case) -> list[Any]:
    """Run the whole notebook in a real kernel and evaluate ``case.finals`` at its end."""
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    for index in case.kernel_skip:
        assert index in case.prototype, "only prototype cells may be left out"
        nb.cells[index].source = "# left out of the reference run (jupyter/nbclient#312)"
    probe = ("from typing import Any\n" + inspect.getsource(summarize) + "\nimport json as _json\n"
             f"print('FINALS' + _json.dumps([summarize(eval(e)) for e in {list(case.finals)!r}]))")
    nb.cells.append(nbformat.v4.new_code_cell(probe))
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    printed = "".join(o.get("text", "") for o in nb.cells[-1].outputs)
    return json.loads(printed.split("FINALS", 1)[1])


@pytest.fixture(scope="module")
def kernel_results(tmp_path_factory):
    cache: dict[str, list[Any]] = {}

    def get(case: Case) -> list[Any]:
        if case.file not in cache:
            path = workspace(tmp_path_factory.mktemp("kernel"), case)
            cache[case.file] = kernel_finals(path, case)
        return cache[case.file]

    return get


def test_the_stored_notebooks_are_listed_with_source_and_licence():
    readme = (DATA / "README.md").read_text()
    for case in CASES:
        assert case.file in readme
        nb = nbformat.read(DATA / case.file, as_version=4)
        assert all(not c.get("outputs") for c in nb.cells)  # kept small: no outputs
    assert "Apache License 2.0" in readme and "MIT" in readme


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_ok_tagging_writes_a_module_that_reproduces_the_notebook(
        case, tmp_path, monkeypatch, kernel_results):
    path = tagged(workspace(tmp_path, case), case.prototype)
    result = productionize(path)
    py_compile.compile(str(result.module), doraise=True)
    nb = nbformat.read(result.notebook, as_version=4)
    assert not any("prototype" in c.metadata.get("tags", []) for c in nb.cells)

    monkeypatch.chdir(path.parent)  # the notebook's own folder, as in the kernel
    monkeypatch.setenv("MPLBACKEND", "Agg")
    namespace = load_module(result.module).main()
    mine = [summarize(eval(expr, copy.copy(namespace))) for expr in case.finals]
    assert mine == kernel_results(case)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_leak_tagging_is_refused_naming_the_production_cells(case, tmp_path):
    path = tagged(workspace(tmp_path, case), (*case.prototype, case.leak))
    with pytest.raises(DependencyError) as info:
        productionize(path)
    offenses = {o["cell"]: o["names"] for o in info.value.details["offenses"]}
    assert set(case.leak_readers) <= set(offenses)
    assert all(case.leak_name in offenses[c] for c in case.leak_readers)
    assert not (path.parent / f"{path.stem}_production").exists()


def test_a_real_notebook_whose_first_heading_is_setup_gets_a_real_title(tmp_path):
    path = workspace(tmp_path, CASES[2])
    page = render_report(path, sections=[])
    assert "<h1>Handson decision trees</h1>" in page
    assert "<h1>Setup</h1>" not in page.split('id="bighead-toc"')[0]
