"""The dependency check: production cells must not depend on prototype cells.

The production notebook runs only the production cells, top to bottom. A name a
production cell reads must therefore be bound by an earlier production cell (or
earlier in the same cell), be a builtin, or come from IPython's namespace.
Names read inside function bodies are read when the function is called, so any
production binding anywhere will do for them.
"""

from __future__ import annotations

import ast
import builtins
import json
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..errors import InvalidSpec
from .magics import HELPERS, translate_cell
from .scopes import StatementNames, analyze_statement
from .source import cell_source, first_line, to_python
from .tags import is_prototype

__all__ = ["DependencyReport", "MagicUse", "Offense", "cell_source", "check_dependencies",
           "first_line", "parse_cell", "to_python"]

#: Names every IPython kernel namespace provides.
IPYTHON_NAMES = frozenset(
    {"get_ipython", "display", "In", "Out", "exit", "quit", "_", "__", "___",
     "_i", "_ii", "_iii", "_oh", "_dh", "_ih", "__name__", "__doc__", "__builtins__"}
)
BASE_NAMES = frozenset(dir(builtins)) | IPYTHON_NAMES
#: Names the generated module itself provides to translated magics (helpers).
_MODULE_NAMES = frozenset(HELPERS)

#: Magics whose effect on the namespace cannot be known statically.
OPAQUE_MAGICS = frozenset({"run", "store", "load", "loadpy", "restore", "pylab"})
_MAGIC_METHODS = {
    "run_line_magic": "line magic",
    "run_cell_magic": "cell magic",
    "system": "shell escape",
    "getoutput": "shell escape",
}


@dataclass(frozen=True)
class MagicUse:
    """One IPython magic or shell escape found in a cell."""

    cell: int
    line: int
    kind: str  # "line magic", "cell magic" or "shell escape"
    text: str
    prototype: bool

    def to_dict(self) -> dict[str, Any]:
        return {"cell": self.cell, "line": self.line, "kind": self.kind,
                "text": self.text, "prototype": self.prototype}


@dataclass(frozen=True)
class Offense:
    """A production cell that reads names only prototype cells provide."""

    cell: int  # 0-based index in the source notebook
    first_line: str
    names: tuple[str, ...]
    reasons: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"cell": self.cell, "first_line": self.first_line,
                "names": list(self.names), "reasons": list(self.reasons)}


@dataclass(frozen=True)
class DependencyReport:
    offenses: tuple[Offense, ...]
    magics: tuple[MagicUse, ...]
    #: production cell -> names bound nowhere we can see (a NameError waiting to happen)
    undefined: Mapping[int, tuple[str, ...]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.offenses

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "offenses": [o.to_dict() for o in self.offenses],
            "magics": [m.to_dict() for m in self.magics],
            "undefined": {str(k): list(v) for k, v in self.undefined.items()},
        }

    def describe(self) -> str:
        """A human-readable summary, one offending cell per line."""
        lines = [
            f"cell {o.cell + 1} ({o.first_line!r}) uses {', '.join(o.names)}: "
            + "; ".join(o.reasons)
            for o in self.offenses
        ]
        return "\n".join(lines)


def parse_cell(source: str, index: int) -> ast.Module:
    """Parse one cell (after magic transformation); a SyntaxError names the cell and line."""
    try:
        return ast.parse(to_python(source))
    except SyntaxError as exc:
        raise InvalidSpec(
            f"cell {index + 1} ({first_line(source)!r}) is not valid Python: "
            f"{exc.msg} at line {exc.lineno}"
        ) from exc


def find_magics(tree: ast.Module, index: int, prototype: bool) -> list[MagicUse]:
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        owner = node.func.value
        if not (isinstance(owner, ast.Call) and isinstance(owner.func, ast.Name)
                and owner.func.id == "get_ipython" and node.func.attr in _MAGIC_METHODS):
            continue
        args = [a.value for a in node.args if isinstance(a, ast.Constant)]
        kind = _MAGIC_METHODS[node.func.attr]
        if kind == "shell escape":
            text = "!" + str(args[0] if args else "")
        else:
            prefix = "%%" if kind == "cell magic" else "%"
            text = prefix + " ".join(str(a) for a in args[:2] if str(a)).split("\n")[0]
        found.append(MagicUse(index, getattr(node, "lineno", 0), kind, text, prototype))
    return found


def _opaque(magics: Sequence[MagicUse]) -> bool:
    return any(m.text.lstrip("%").split(" ")[0] in OPAQUE_MAGICS for m in magics)


def check_dependencies(cells: Sequence[Mapping[str, Any]]) -> DependencyReport:
    """Check that production code cells never depend on prototype cells.

    Raises
    ------
    InvalidSpec
        If a code cell is not valid Python (after IPython magic transformation).
    """
    parsed: list[tuple[int, bool, list[StatementNames], list[MagicUse], str]] = []
    same_binds: dict[int, set[str]] = {}  # statement id -> names rebound to the same object
    for index, cell in enumerate(cells):
        if cell.get("cell_type") != "code":
            continue
        source = cell_source(cell)
        proto = is_prototype(cell)
        tree = parse_cell(source, index)
        magics = find_magics(tree, index, proto)
        # Analyse the code the module will run: under %time, %%capture or %%bash --out
        # the names are bound and read by the translated code, not by a string argument.
        body = _translated(source, index) or tree
        stmts = [analyze_statement(s) for s in body.body]
        for node, st in zip(body.body, stmts, strict=True):
            same_binds[id(st)] = _same_object_imports(node)
        parsed.append((index, proto, stmts, magics, source))
    star_shadows = _star_shadows([m for _i, _p, stmts, magics, _s in parsed
                                  for m in _star_modules(stmts, magics)])

    proto_binds: dict[str, int] = {}
    proto_opaque: list[str] = []
    prod_binds: set[str] = set()
    for index, proto, stmts, magics, _ in parsed:
        for st in stmts:
            if proto:
                for name in st.binds - same_binds[id(st)]:
                    proto_binds.setdefault(name, index)
                proto_opaque += [f"`from {m} import *` in prototype cell {index + 1}"
                                 for m in st.star_imports]
                for module in st.star_imports:
                    for name in star_shadows.get(module, ()):
                        proto_binds.setdefault(name, index)
            else:
                prod_binds |= st.binds
        if proto and _opaque(magics):
            proto_opaque.append(f"an opaque magic in prototype cell {index + 1}")
            for module in _star_modules([], magics):  # %pylab's star imports
                for name in star_shadows.get(module, ()):
                    proto_binds.setdefault(name, index)

    # A builtin or IPython name that a prototype cell rebinds (`sum = 5`, `class display`)
    # is a dependency too: without that cell, production would get the original.
    shadowed = {name for name in proto_binds if name in BASE_NAMES}
    base = (BASE_NAMES - shadowed) | _MODULE_NAMES
    available = set(base)
    prod_opaque = False
    offenses: list[Offense] = []
    undefined: dict[int, tuple[str, ...]] = {}
    for index, proto, stmts, magics, source in parsed:
        if proto:
            continue
        prod_opaque = prod_opaque or _opaque(magics)
        bad: dict[str, str] = {}
        unknown: set[str] = set()
        for st in stmts:
            for name in sorted(st.reads_now - available):
                _classify(name, proto_binds, proto_opaque, prod_opaque, bad, unknown, later=False)
            for name in sorted(st.reads_later - prod_binds - base):
                _classify(name, proto_binds, proto_opaque, prod_opaque, bad, unknown, later=True)
            available |= st.binds
            available -= st.deletes
            for module in st.star_imports:  # production's own star import rebinds them too
                available |= star_shadows.get(module, frozenset())
                prod_binds |= star_shadows.get(module, frozenset())
            prod_opaque = prod_opaque or bool(st.star_imports)
        for module in _star_modules([], magics):
            available |= star_shadows.get(module, frozenset())
            prod_binds |= star_shadows.get(module, frozenset())
        if bad:
            names = tuple(sorted(bad))
            offenses.append(Offense(index, first_line(source), names,
                                    tuple(bad[n] for n in names)))
        if unknown:
            undefined[index] = tuple(sorted(unknown))
    all_magics = tuple(m for *_, magics, _src in parsed for m in magics)
    return DependencyReport(tuple(offenses), all_magics, undefined)


def _translated(source: str, index: int) -> ast.Module | None:
    """The cell as the module runs it; None where a magic has no translation."""
    try:
        return ast.parse(translate_cell(source, index).source)
    except (InvalidSpec, SyntaxError):
        return None


def _star_modules(stmts: Sequence[StatementNames], magics: Sequence[MagicUse]) -> list[str]:
    """Modules star-imported by a cell: ``from m import *``, and ``%pylab``'s two."""
    found = [m for st in stmts for m in st.star_imports if not m.startswith(".")]
    for magic in magics:
        words = magic.text.lstrip("%").split()
        if words[:1] == ["pylab"] and "--no-import-all" not in words:
            found += ["matplotlib.pylab", "numpy"]  # IPython's import_pylab(import_all=True)
    return found


_STAR_PROBE = """
import importlib, json, sys
names = sys.argv[1].split(",")
found = {}
for module in sys.argv[2:]:
    try:
        mod = importlib.import_module(module)
    except BaseException:
        continue
    public = getattr(mod, "__all__", None)
    if public is None:
        public = [n for n in dir(mod) if not n.startswith("_")]
    found[module] = sorted(set(map(str, public)) & set(names))
print(json.dumps(found))
"""


def _star_shadows(modules: Sequence[str]) -> dict[str, frozenset[str]]:
    """For each star-imported module, the builtin and IPython names it rebinds.

    ``from numpy import *`` replaces ``sum``, ``max``, ``round``...: a production cell
    that calls ``sum`` then gets a different function without that cell. The modules
    are imported in a child process (never in this one: a server must not import
    arbitrary packages); a module that cannot be imported is left opaque.
    """
    wanted = sorted(set(modules))
    if not wanted:
        return {}
    try:
        done = subprocess.run(
            [sys.executable, "-c", _STAR_PROBE, ",".join(sorted(BASE_NAMES)), *wanted],
            capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
        # The last line: an imported module may print on import.
        found = json.loads((done.stdout.strip().splitlines() or ["{}"])[-1])
    except (OSError, subprocess.SubprocessError, ValueError):
        return {}
    return {m: frozenset(names) for m, names in found.items() if isinstance(names, list)}


def _classify(
    name: str,
    proto_binds: Mapping[str, int],
    proto_opaque: Sequence[str],
    prod_opaque: bool,
    bad: dict[str, str],
    unknown: set[str],
    *,
    later: bool,
) -> None:
    if name in proto_binds and name in BASE_NAMES:
        bad[name] = (f"{name!r} is redefined in prototype cell {proto_binds[name] + 1}; "
                     f"without it production would use the {_origin(name)} {name!r}")
    elif name in proto_binds:
        where = f"prototype cell {proto_binds[name] + 1}"
        bad[name] = (
            f"{name!r} is defined only in {where}" if later
            else f"{name!r} comes from {where}, not from an earlier production cell"
        )
    elif proto_opaque and not prod_opaque:
        bad[name] = f"{name!r} may come from {proto_opaque[0]}"
    elif not prod_opaque:
        unknown.add(name)


def _origin(name: str) -> str:
    return "builtin" if name in dir(builtins) else "IPython"


#: ``from MODULE import NAME`` binds the very object IPython or builtins already provide.
_SAME_OBJECT = {"IPython.display": {"display"}, "IPython.core.display": {"display"},
                "IPython.core.display_functions": {"display"}, "IPython": {"get_ipython"},
                "builtins": set(dir(builtins))}


def _same_object_imports(node: ast.stmt) -> set[str]:
    """Names a prototype import rebinds to the object they already are (not a shadowing)."""
    if not isinstance(node, ast.ImportFrom) or node.module not in _SAME_OBJECT:
        return set()
    return {a.name for a in node.names
            if a.asname in (None, a.name) and a.name in _SAME_OBJECT[node.module]}
