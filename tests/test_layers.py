"""The core library is layered: a module imports its own layer and lower ones only, no
two modules import each other (directly or round a loop), and nothing inside the package
imports the facade ``jupyter_bighead/__init__.py``.

The layer order is written here, once (the README's architecture section states it in
words). A small AST check reads every module of ``jupyter_bighead/`` (not the built
``labextension/``), so it needs no import and sees imports inside functions too:

- the **layer rule** counts every import, including those under ``if TYPE_CHECKING:``;
- the **cycle rule** counts every import that runs (module level, inside functions,
  under ``try``), but not ``TYPE_CHECKING`` ones. Importing ``a.b.c`` also runs
  ``a/__init__`` and ``a/b/__init__``, so those count as imported too (except the
  importer's own packages, which are already running, and the facade, which rule (c)
  covers);
- the **facade rule**: no ``import jupyter_bighead`` (``as bh`` or not), and no
  ``from jupyter_bighead import name`` / ``from .. import name`` of anything that is not
  a submodule (``default_registry``, ``__version__``...), in any layer, the top included;
- the **string-import rule**: no ``importlib.import_module("jupyter_bighead.x")``,
  ``import_module("..x", __name__)`` or ``__import__("jupyter_bighead.x")`` outside
  ``plugins.py`` (the rules above cannot see such an import; write a plain one, inside a
  function if it must be lazy). A package's lazy re-export of its own submodules
  (``import_module(".local", __name__)`` in a PEP 562 ``__getattr__``) stays inside its
  package and is allowed.

Plugins named by string (``"jupyter_bighead.jobs.local:LocalExecutor"``) and entry
points are not imports: that is how a lower layer reaches a higher one's plugin, and
``plugins.py`` is the one module that turns such a name into an import.
"""

from __future__ import annotations

import ast
import dataclasses
import pathlib
import textwrap
from collections.abc import Iterator

import pytest

PACKAGE = "jupyter_bighead"

#: The layer order of the core, bottom to top: a component (the first name under
#: ``jupyter_bighead``) may import components of its own layer and of lower ones.
#: ``""`` is the facade, ``jupyter_bighead/__init__.py``.
LAYERS: list[tuple[str, ...]] = [
    # L0 base: values and helpers everyone uses; imports nothing above.
    ("_version", "_about", "errors", "_io", "_json", "refs", "resources", "identity",
     "config", "_procs", "kube", "kube_dask", "plugins", "gitinfo", "templates", "recordstore",
     "cluster", "predlog", "roles"),
    ("features",),      # L1 feature definitions, point-in-time engine, catalog
    ("models",),        # L2 model flavors and the one prediction rule
    ("evaluation",),    # L3 metrics, curves, figures
    ("pipeline",),      # L4 blocks, pipelines, their flavor
    ("registry",),      # L5 model registry
    ("notebooks",),     # L6 tags, productionize, reports
    ("reviews",),       # L6.5 review requests and the production gate
    ("admin",),         # L6.7 admin-managed profiles, kernel images and quotas
    ("jobs",),          # L7 job specs, executors, scoring, sweeps
    ("serving",),       # L8 inference runtime and deploy targets
    ("monitoring",),    # L9 drift, realized performance, monitors and alerts
    # L10 entry points, facade
    ("widgets", "status", "demo", "cli", "cli_commands", "testing", "hub", ""),
]

#: Violations that other work still has to remove, as (importer, imported, rule). The
#: test fails when one disappears as well, so that this list only ever shrinks.
KNOWN: set[tuple[str, str, str]] = set()


@dataclasses.dataclass(frozen=True)
class Import:
    importer: str
    target: str
    line: int
    type_checking: bool
    facade_name: str | None = None  # set when a non-module name comes from the facade


def modules(root: pathlib.Path, package: str) -> dict[str, pathlib.Path]:
    """Dotted module name -> file, for every ``.py`` under ``root`` (the package dir)."""
    out = {}
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).with_suffix("").parts
        if rel and rel[0] == "labextension":
            continue
        parts = rel[:-1] if rel[-1] == "__init__" else rel
        out[".".join((package, *parts))] = path
    return out


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _walk(node: ast.AST, type_checking: bool
          ) -> Iterator[tuple[ast.Import | ast.ImportFrom, bool]]:
    """Every import node under ``node``, with whether it sits under ``if TYPE_CHECKING:``
    (``else:`` branches run)."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.Import | ast.ImportFrom):
            yield child, type_checking
        elif isinstance(child, ast.If) and _is_type_checking(child.test):
            for stmt in child.body:
                yield from _walk_stmt(stmt, True)
            for stmt in child.orelse:
                yield from _walk_stmt(stmt, type_checking)
        else:
            yield from _walk(child, type_checking)


def _walk_stmt(stmt: ast.stmt, type_checking: bool
               ) -> Iterator[tuple[ast.Import | ast.ImportFrom, bool]]:
    wrapper = ast.Module(body=[stmt], type_ignores=[])
    yield from _walk(wrapper, type_checking)


def imports(mods: dict[str, pathlib.Path], package: str) -> list[Import]:
    """Every import of a module of ``package`` made by one of ``mods``."""
    found = []
    for name, path in mods.items():
        is_pkg = path.name == "__init__.py"
        tree = ast.parse(path.read_text("utf-8"), filename=str(path))
        for node, tc in _walk(tree, False):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name == package:  # the facade itself, as a module object
                        found.append(Import(name, package, node.lineno, tc, ""))
                    elif alias.name.startswith(package + "."):
                        target = _existing(alias.name, mods)
                        found.append(Import(name, target, node.lineno, tc))
                continue
            base = _resolve(name, is_pkg, node)
            if base is None or not (base == package or base.startswith(package + ".")):
                continue
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                if sub in mods:
                    found.append(Import(name, sub, node.lineno, tc))
                else:
                    facade = alias.name if base == package else None
                    found.append(Import(name, _existing(base, mods), node.lineno, tc, facade))
    return found


def _resolve(module: str, is_pkg: bool, node: ast.ImportFrom) -> str | None:
    if not node.level:
        return node.module
    parts = module.split(".") if is_pkg else module.split(".")[:-1]
    parts = parts[: len(parts) - (node.level - 1)]
    return ".".join([*parts, *([node.module] if node.module else [])])


def _existing(name: str, mods: dict[str, pathlib.Path]) -> str:
    """The module ``name`` runs: itself, or the package it is an attribute of. A missing
    module (``_version.py`` is written by the build) keeps its own name."""
    while name not in mods and name.count(".") > 1:
        name = name.rsplit(".", 1)[0]
    return name


def component(module: str, package: str) -> str:
    rest = module[len(package):].lstrip(".")
    return rest.split(".", 1)[0]


def layer_of(layers: list[tuple[str, ...]]) -> dict[str, int]:
    return {name: i for i, names in enumerate(layers) for name in names}


def check(root: pathlib.Path, package: str, layers: list[tuple[str, ...]]
          ) -> set[tuple[str, str, str]]:
    """Every violation as ``(importer, imported, rule)``; rule is ``"upward"``,
    ``"facade"``, ``"unlisted"`` or ``"cycle"`` (one entry per import on a cycle)."""
    mods = modules(root, package)
    found = imports(mods, package)
    rank = layer_of(layers)
    bad: set[tuple[str, str, str]] = set()
    for m in mods:
        if component(m, package) not in rank:
            bad.add((m, m, "unlisted"))
    for imp in found:
        if imp.facade_name is not None:
            shown = f"{package}.{imp.facade_name}" if imp.facade_name else package
            bad.add((imp.importer, shown, "facade"))
            continue
        a, b = component(imp.importer, package), component(imp.target, package)
        if a in rank and b in rank and rank[b] > rank[a]:
            bad.add((imp.importer, imp.target, "upward"))
    for a, b in cycle_edges(mods, found, package):
        bad.add((a, b, "cycle"))
    for m, path in mods.items():
        if m != f"{package}.plugins":
            bad.update((m, target, "string-import")
                       for target in string_imports(path, package))
    return bad


_IMPORT_FUNCTIONS = ("import_module", "__import__")


def string_imports(path: pathlib.Path, package: str) -> list[str]:
    """What ``import_module(...)`` / ``__import__(...)`` calls in ``path`` name inside
    ``package`` beyond the caller's own package: an absolute name starting with it, or a
    relative one going up (``..x``); an f-string counts by its text up to the first
    placeholder."""
    out = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"), filename=str(path))):
        if not (isinstance(node, ast.Call) and node.args):
            continue
        func = node.func
        called = func.id if isinstance(func, ast.Name) else \
            func.attr if isinstance(func, ast.Attribute) else None
        if called not in _IMPORT_FUNCTIONS:
            continue
        arg = node.args[0]
        if isinstance(arg, ast.JoinedStr) and arg.values:
            arg = arg.values[0]
        if not (isinstance(arg, ast.Constant) and isinstance(arg.value, str)):
            continue  # a name known only at run time (a user's module): not ours to judge
        text = arg.value
        if text.startswith("..") or text == package or text.startswith(package + "."):
            out.append(text)
    return out


def runtime_graph(mods: dict[str, pathlib.Path], found: list[Import], package: str
                  ) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {m: set() for m in mods}
    for imp in found:
        if imp.type_checking or imp.facade_name is not None:
            continue
        own = _ancestors(imp.importer)
        for target in [imp.target, *_ancestors(imp.target)]:
            if target != imp.importer and target not in own and target != package \
                    and target in graph:
                graph[imp.importer].add(target)
    return graph


def _ancestors(module: str) -> list[str]:
    parts = module.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def cycle_edges(mods: dict[str, pathlib.Path], found: list[Import], package: str
                ) -> set[tuple[str, str]]:
    """The runtime import edges that lie on a cycle (inside one strongly connected
    component of the import graph)."""
    graph = runtime_graph(mods, found, package)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    comp: dict[str, int] = {}
    counter = [0]

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            while True:
                w = stack.pop()
                on.discard(w)
                comp[w] = index[v]
                if w == v:
                    break

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return {(a, b) for a, targets in graph.items() for b in targets
            if comp[a] == comp[b]}


def describe(violations: set[tuple[str, str, str]]) -> str:
    why = {
        "upward": "imports a higher layer (move the code down, pass it in, or name a "
                  "plugin by string)",
        "facade": "imports a name from the facade jupyter_bighead/__init__.py (import it "
                  "from where it lives)",
        "unlisted": "belongs to no layer: add its component to LAYERS in tests/test_layers.py",
        "cycle": "is part of an import cycle (a runtime import, maybe inside a function)",
        "string-import": "imports by string outside plugins.py, hidden from these rules "
                         "(write a plain import, inside a function if it must be lazy)",
    }
    return "\n".join(f"  {a} -> {b}: {why[rule]}" for a, b, rule in sorted(
        violations, key=lambda v: (v[2], v[0], v[1])))


# ---- the package itself --------------------------------------------------------------


def _package_root() -> pathlib.Path:
    return pathlib.Path(__file__).resolve().parents[1] / PACKAGE


def test_the_core_keeps_its_layers_and_has_no_import_cycles():
    violations = check(_package_root(), PACKAGE, LAYERS)
    new = violations - KNOWN
    assert not new, "layer violations in jupyter_bighead/:\n" + describe(new)
    fixed = KNOWN - violations
    assert not fixed, "fixed, remove from KNOWN in tests/test_layers.py:\n" + describe(fixed)


def test_every_component_has_exactly_one_layer():
    names = [name for layer in LAYERS for name in layer]
    assert len(names) == len(set(names))


# ---- the checker itself ---------------------------------------------------------------

TOY_LAYERS: list[tuple[str, ...]] = [("base",), ("low",), ("high",), ("",)]


def _toy(tmp_path: pathlib.Path, files: dict[str, str]) -> pathlib.Path:
    root = tmp_path / "toy"
    for rel, text in {"__init__.py": "", "base.py": "", "low/__init__.py": "",
                      "high/__init__.py": "", **files}.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


def test_the_checker_passes_a_clean_layered_package(tmp_path):
    root = _toy(tmp_path, {
        "low/a.py": "from ..base import x\nfrom . import b\n",
        "low/b.py": "import toy.base\n",
        "high/c.py": "from ..low.a import y\n\ndef f():\n    from ..low import b\n",
        "__init__.py": "from .high.c import z\n",
    })
    assert check(root, "toy", TOY_LAYERS) == set()


@pytest.mark.parametrize("source", [
    "from ..high.c import y\n",
    "def f():\n    from toy.high import c\n",
    "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ..high.c import Y\n",
])
def test_the_checker_fails_on_an_upward_import(tmp_path, source):
    root = _toy(tmp_path, {"low/a.py": source, "high/c.py": ""})
    violations = check(root, "toy", TOY_LAYERS)
    assert ("toy.low.a", "toy.high.c", "upward") in violations or \
        ("toy.low.a", "toy.high", "upward") in violations, violations
    assert "toy.low.a -> toy.high" in describe(violations)


def test_the_checker_fails_on_a_cycle_even_through_a_function_level_import(tmp_path):
    root = _toy(tmp_path, {
        "low/a.py": "from .b import x\n",
        "low/b.py": "from .c import y\n",
        "low/c.py": "def f():\n    from .a import z\n",
    })
    violations = check(root, "toy", TOY_LAYERS)
    assert {(a, b) for a, b, rule in violations if rule == "cycle"} == {
        ("toy.low.a", "toy.low.b"), ("toy.low.b", "toy.low.c"), ("toy.low.c", "toy.low.a")}
    assert "import cycle" in describe(violations)


def test_a_type_checking_import_is_no_cycle(tmp_path):
    root = _toy(tmp_path, {
        "low/a.py": "from .b import x\n",
        "low/b.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                    "    from .a import A\n",
    })
    assert check(root, "toy", TOY_LAYERS) == set()


def test_a_cycle_through_a_package_init_is_found(tmp_path):
    root = _toy(tmp_path, {
        "low/__init__.py": "from .a import x\n",
        "low/a.py": "from ..base import y\n",
        "base.py": "def f():\n    from .low.a import x\n",
    })
    cycles = {(a, b) for a, b, rule in check(root, "toy", TOY_LAYERS) if rule == "cycle"}
    assert ("toy.base", "toy.low") in cycles and ("toy.low.a", "toy.base") in cycles


@pytest.mark.parametrize("source", ["from .. import helper\n", "from toy import helper\n"])
def test_the_checker_fails_on_a_facade_import(tmp_path, source):
    root = _toy(tmp_path, {"__init__.py": "helper = 1\n", "low/a.py": source})
    assert ("toy.low.a", "toy.helper", "facade") in check(root, "toy", TOY_LAYERS)


def test_a_submodule_imported_through_the_package_is_no_facade_import(tmp_path):
    root = _toy(tmp_path, {"low/a.py": "from .. import base\n"})
    assert check(root, "toy", TOY_LAYERS) == set()


def test_the_checker_fails_on_a_component_without_a_layer(tmp_path):
    root = _toy(tmp_path, {"extra.py": ""})
    assert ("toy.extra", "toy.extra", "unlisted") in check(root, "toy", TOY_LAYERS)


def test_a_module_the_build_writes_is_checked_by_its_own_name(tmp_path):
    root = _toy(tmp_path, {"base.py": "from ._generated import v\n"})
    assert check(root, "toy", [("base", "_generated"), ("low",), ("high",), ("",)]) == set()
    assert ("toy.base", "toy._generated", "upward") in check(
        root, "toy", [("base",), ("_generated",), ("low",), ("high",), ("",)])


@pytest.mark.parametrize("where", ["high/c.py", "low/a.py", "top.py"])
@pytest.mark.parametrize("source", ["import toy as bh\n", "import toy\n",
                                    "def f():\n    import toy\n"])
def test_importing_the_facade_module_is_flagged_in_every_layer(tmp_path, where, source):
    root = _toy(tmp_path, {where: source, "top.py": source if where == "top.py" else ""})
    layers = [("base",), ("low",), ("high",), ("top", "")]
    importer = "toy." + where[:-3].replace("/", ".")
    assert (importer, "toy", "facade") in check(root, "toy", layers)


@pytest.mark.parametrize("source,target", [
    ("import importlib\nimportlib.import_module('toy.high.c')\n", "toy.high.c"),
    ("from importlib import import_module\ndef f():\n    import_module('toy.base')\n",
     "toy.base"),
    ("__import__('toy.high')\n", "toy.high"),
    ("import importlib\nimportlib.import_module('..high.c', __name__)\n", "..high.c"),
    ("import importlib\nimportlib.import_module(f'toy.high.{1}')\n", "toy.high."),
])
def test_string_imports_of_the_package_are_flagged_outside_plugins(tmp_path, source, target):
    root = _toy(tmp_path, {"low/a.py": source, "high/c.py": "", "plugins.py": source})
    layers = [("base", "plugins"), ("low",), ("high",), ("",)]
    violations = check(root, "toy", layers)
    assert violations == {("toy.low.a", target, "string-import")}, violations
    assert "imports by string" in describe(violations)


def test_string_imports_of_other_modules_or_run_time_names_are_not_flagged(tmp_path):
    root = _toy(tmp_path, {"low/a.py": (
        "import importlib\nimportlib.import_module('json')\n"
        "def f(name):\n    return importlib.import_module(name)\n"
        "X = {}\ndef g(n):\n    return importlib.import_module(f'.{X[n]}', __name__)\n"
        "CODE = \"__import__('toy.high')\"\n")})
    assert check(root, "toy", TOY_LAYERS) == set()
