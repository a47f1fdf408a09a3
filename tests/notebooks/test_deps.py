"""The static dependency check on tricky notebooks."""

from __future__ import annotations

import pytest

from jupyter_bighead.errors import InvalidSpec
from jupyter_bighead.notebooks import check_dependencies

from .helpers import code, md, proto


def offending(cells) -> dict[int, tuple[str, ...]]:
    return {o.cell: o.names for o in check_dependencies(cells).offenses}


def test_production_reading_a_prototype_variable_is_reported_with_cell_and_names():
    cells = [code("import pandas as pd"), proto("df = pd.DataFrame({'a': [1]})"),
             code("total = df.a.sum()\nprint(total)")]
    report = check_dependencies(cells)
    assert not report.ok
    (offense,) = report.offenses
    assert offense.cell == 2
    assert offense.first_line == "total = df.a.sum()"
    assert offense.names == ("df",)
    assert "prototype cell 2" in offense.reasons[0]


def test_names_defined_in_both_kinds_of_cell_are_fine():
    cells = [proto("x = 1"), code("x = 2"), proto("x = x + 10"), code("y = x * 3")]
    assert check_dependencies(cells).ok


def test_shadowing_a_prototype_name_before_use_is_fine_but_after_use_is_not():
    assert check_dependencies([proto("n = 5"), code("n = 3\nprint(n)")]).ok
    assert offending([proto("n = 5"), code("print(n)\nn = 3")]) == {1: ("n",)}


def test_imports_made_only_in_prototype_cells_are_caught():
    cells = [proto("import numpy as np\nfrom math import sqrt"),
             code("a = np.arange(3)\nb = sqrt(2)")]
    assert offending(cells) == {1: ("np", "sqrt")}


def test_del_in_production_removes_the_production_binding():
    cells = [code("tmp = 1"), proto("tmp = 2"), code("del tmp"), code("print(tmp)")]
    assert offending(cells) == {3: ("tmp",)}


def test_comprehension_variables_are_local_to_the_comprehension():
    cells = [proto("i = 99\nrow = 1"),
             code("squares = [i * i for i in range(3)]\npairs = {k: v for k, v in []}")]
    assert check_dependencies(cells).ok
    # ...but a comprehension still reads free names from the notebook.
    assert offending([proto("row = 1"), code("out = [row + j for j in range(3)]")]) == {
        1: ("row",)
    }


def test_walrus_in_a_comprehension_binds_the_enclosing_scope():
    cells = [code("vals = [(last := v) for v in range(3)]\nprint(last)")]
    assert check_dependencies(cells).ok


def test_functions_closing_over_prototype_names_are_caught():
    cells = [proto("threshold = 0.5\ndef helper(v):\n    return v"),
             code("def score(p):\n    return helper(p) > threshold")]
    assert offending(cells) == {1: ("helper", "threshold")}


def test_function_bodies_may_use_production_names_defined_later():
    cells = [code("def f():\n    return later * 2"), code("later = 21\nf()")]
    assert check_dependencies(cells).ok


def test_function_parameters_and_locals_are_not_notebook_reads():
    cells = [proto("x = 1\ny = 2"),
             code("def f(x, *args, y=3, **kw):\n    z = x + y\n    return z\nlam = lambda y: y")]
    assert check_dependencies(cells).ok


def test_default_arguments_and_decorators_are_read_at_definition_time():
    cells = [proto("DEFAULT = 3\ndeco = lambda f: f"),
             code("@deco\ndef f(a=DEFAULT):\n    return a")]
    assert offending(cells) == {1: ("DEFAULT", "deco")}


def test_class_bodies_read_now_and_methods_read_later():
    cells = [proto("BASE = object\nFACTOR = 2"),
             code("class M(BASE):\n    k = 1\n    def f(self):\n        return FACTOR * self.k")]
    assert offending(cells) == {1: ("BASE", "FACTOR")}


def test_global_declared_in_a_function_binds_a_notebook_name():
    cells = [code("def init():\n    global state\n    state = 1\ninit()"),
             proto("state = 5"), code("print(state)")]
    assert check_dependencies(cells).ok


def test_augmented_assignment_reads_the_old_value():
    assert offending([proto("count = 0"), code("count += 1")]) == {1: ("count",)}


def test_star_import_in_prototype_is_reported_for_unknown_names():
    cells = [proto("from os.path import *"), code("p = join('a', 'b')")]
    report = check_dependencies(cells)
    assert offending(cells) == {1: ("join",)}
    assert "from os.path import *" in report.offenses[0].reasons[0]


def test_star_import_in_production_covers_unknown_names():
    assert check_dependencies([code("from os.path import *"), code("p = join('a')")]).ok


def test_magics_and_shell_escapes_are_reported_not_dropped():
    cells = [code("%matplotlib inline\nimport os"), proto("!ls -la"),
             code("files = !ls\nprint(files)"), code("%%bash\necho hi")]
    report = check_dependencies(cells)
    assert report.ok
    kinds = {(m.cell, m.kind, m.text) for m in report.magics}
    assert (0, "line magic", "%matplotlib inline") in kinds
    assert (1, "shell escape", "!ls -la") in kinds
    assert (2, "shell escape", "!ls") in kinds
    assert any(m.cell == 3 and m.kind == "cell magic" and m.text.startswith("%%bash")
               for m in report.magics)


def test_opaque_magic_in_prototype_makes_unknown_names_suspect():
    cells = [proto("%run helpers.py"), code("result = helper_from_script()")]
    assert offending(cells) == {1: ("helper_from_script",)}


def test_builtins_and_ipython_names_are_always_available():
    cells = [code("display(len([1]))\nprint(In, Out)\nget_ipython()")]
    assert check_dependencies(cells).ok


def test_undefined_names_are_warnings_not_offenses():
    report = check_dependencies([code("print(never_defined)")])
    assert report.ok
    assert report.undefined == {0: ("never_defined",)}


def test_markdown_cells_are_ignored():
    assert check_dependencies([md("# Title"), code("x = 1")]).ok


def test_a_syntax_error_names_the_cell_and_line():
    with pytest.raises(InvalidSpec, match=r"cell 2 \('def broken\(:'\).*line 1"):
        check_dependencies([code("x = 1"), code("def broken(:\n  pass")])


def test_exception_handler_and_with_targets_bind_names():
    cells = [proto("err = None\nfh = None"),
             code("try:\n    1/0\nexcept ZeroDivisionError as err:\n    print(err)\n"
                  "with open(__file__ if False else '/dev/null') as fh:\n    fh.read()")]
    assert check_dependencies(cells).ok


def test_self_referencing_assignment_reads_before_it_binds():
    assert offending([proto("x = 1"), code("x = x + 1")]) == {1: ("x",)}
    assert offending([proto("xs = []"), code("for xs in xs:\n    pass")]) == {1: ("xs",)}


def test_names_bound_earlier_in_a_compound_statement_are_available_later_in_it():
    cells = [proto("v = 0"), code("for v in range(3):\n    print(v)")]
    assert check_dependencies(cells).ok


def test_a_builtin_redefined_in_a_prototype_cell_is_a_dependency_of_production():
    report = check_dependencies([proto("sum = 5"), code("total = sum + 1")])
    assert [o.names for o in report.offenses] == [("sum",)]
    assert "redefined in prototype cell 1" in report.offenses[0].reasons[0]
    assert "builtin 'sum'" in report.offenses[0].reasons[0]


def test_an_ipython_name_redefined_in_a_prototype_cell_is_a_dependency_of_production():
    cells = [proto("class display:\n    pass"), code("def show(x):\n    display(x)")]
    assert offending(cells) == {1: ("display",)}


def test_a_production_rebinding_of_a_builtin_before_use_is_fine():
    assert check_dependencies([proto("sum = 5"), code("sum = 3\nprint(sum)")]).ok


def test_importing_ipythons_own_display_in_a_prototype_cell_is_not_a_redefinition():
    cells = [proto("from IPython.display import display"), code("display(1)")]
    assert check_dependencies(cells).ok
