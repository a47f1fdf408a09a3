"""Turn production cells into a Python module with ``main(**parameters)``.

A pure transform (cells in, source text out), kept apart from file I/O like
papermill's ``parameterize_notebook``.

The cells run at *module level* under ``if __name__ == "__main__":``, as they do in
the notebook's ``__main__`` namespace, so ``global`` statements, ``globals()``,
``eval`` and pickling of classes defined in cells mean what they meant in the
notebook. ``main(**parameters)`` runs the same file with ``runpy`` and the
parameters bound right after the ``parameters`` cell (papermill's rule).
"""

from __future__ import annotations

import ast
from collections.abc import Mapping, Sequence
from typing import Any

from ..errors import InvalidSpec
from .deps import cell_source, parse_cell
from .magics import HELPERS, translate_cell
from .scopes import analyze_statement
from .tags import is_parameters

INDENT = "    "
#: Names only an IPython kernel provides; a module that reads them (without binding them
#: first, e.g. `from IPython import get_ipython`) cannot run.
KERNEL_ONLY = frozenset({"In", "Out", "_oh", "_dh", "_ih", "_i", "_ii", "_iii", "_", "__", "___",
                         "get_ipython"})


def indent_code(source: str, prefix: str = INDENT) -> str:
    """Indent Python source one level without changing multi-line string literals."""
    import io
    import tokenize

    inside_string: set[int] = set()
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.end[0] > tok.start[0]:
                inside_string.update(range(tok.start[0] + 1, tok.end[0] + 1))
    except (tokenize.TokenError, SyntaxError):  # pragma: no cover - source was parsed before
        pass
    return "\n".join(
        line if (n in inside_string or not line.strip()) else prefix + line
        for n, line in enumerate(source.splitlines(), start=1)
    )


def parameters_from(cell: Mapping[str, Any], index: int) -> tuple[dict[str, str], list[str]]:
    """Split a parameters cell into ``{name: default source}`` and its other statements."""
    tree = parse_cell(cell_source(cell), index)
    params: dict[str, str] = {}
    rest: list[str] = []
    for node in tree.body:
        if (isinstance(node, ast.Assign) and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name)):
            params[node.targets[0].id] = ast.unparse(node.value)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value:
            params[node.target.id] = ast.unparse(node.value)
        else:
            rest.append(ast.unparse(node))
    return params, rest


def _hoist_future(source: str) -> tuple[list[str], str]:
    """Move ``from __future__`` imports out of a cell (they must open the module)."""
    tree = ast.parse(source)
    lines = source.splitlines()
    hoisted: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module == "__future__":
            hoisted.append(ast.unparse(node))
            for ln in range(node.lineno, (node.end_lineno or node.lineno) + 1):
                lines[ln - 1] = ""
            lines[node.lineno - 1] = f"pass  # [bighead] moved to the top: {hoisted[-1]}"
    return hoisted, "\n".join(lines)


def _literal(source: str) -> bool:
    try:
        ast.literal_eval(source)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return False
    return True


def _reads(source: str) -> tuple[set[str], set[str]]:
    """(names read, names bound) at module level by plain Python ``source``."""
    reads: set[str] = set()
    binds: set[str] = set()
    for node in ast.parse(source).body:
        names = analyze_statement(node)
        reads |= (names.reads_now | names.reads_later) - binds
        binds |= names.binds
    return reads, binds


def build_module(
    cells: Sequence[Mapping[str, Any]],
    source_name: str,
    source_hash: str,
) -> tuple[str, list[str]]:
    """Python source of the production module, and notes about what was left out.

    ``cells`` are the *production* cells in order (with their original indices in
    ``metadata["bighead_index"]`` when known).

    Raises
    ------
    InvalidSpec
        A cell uses a magic with no Python equivalent or top-level ``await``, or reads
        a name only an IPython kernel has (``In``, ``Out``, ``_``); the message names
        the cell and line. Never returns source that does not compile.
    """
    params: dict[str, str] = {}
    hoisted: list[str] = []
    body: list[str] = []
    notes: list[str] = []
    helpers: set[str] = set()
    bound: set[str] = set()
    reads_display = False
    injected = False
    for pos, cell in enumerate(cells):
        if cell.get("cell_type") != "code":
            continue
        index = int(cell.get("metadata", {}).get("bighead_index", pos))
        source = cell_source(cell)
        if is_parameters(cell) and not params:
            parse_cell(source, index)
            params, _rest = parameters_from(cell, index)
        translated = translate_cell(source, index)
        helpers |= translated.helpers
        notes += translated.notes
        cell_future, python = _hoist_future(translated.source)
        hoisted += cell_future
        reads, binds = _reads(python)
        kernel_only = sorted((reads - bound) & KERNEL_ONLY)
        if kernel_only:
            raise InvalidSpec(
                f"cell {index + 1} reads {', '.join(kernel_only)}, which only an IPython "
                "kernel provides (outputs, history, the shell); bind it in the notebook "
                "instead",
                details={"cell": index, "names": kernel_only},
            )
        reads_display = reads_display or ("display" in reads - bound)
        bound |= binds
        kind = "parameters" if is_parameters(cell) and not injected else "cell"
        body += [f"# --- {kind} {index + 1} ---", python]
        if kind == "parameters":
            body.append("globals().update(_bighead_parameters)  # the parameters given")
            injected = True
    if not injected:
        body.insert(0, "globals().update(_bighead_parameters)  # the parameters given")
    scaffold = {"_NOT_GIVEN", "_SCAFFOLD", "main", "_bighead_run", "_parse_args",
                "_bighead_parameters", *helpers, *(["display"] if reads_display else [])}
    scaffold |= {name for line in hoisted for name in _reads(line)[1]}
    return _assemble(source_name, source_hash, hoisted, params, helpers, body,
                     reads_display, scaffold - bound), notes


def _docstring_text(text: str) -> str:
    """``text`` escaped for a docstring: backslashes, quotes, control and surrogate chars."""
    out = []
    for ch in text:
        if ch in '\\"':
            out.append("\\" + ch)
        elif ch.isprintable() and not "\ud800" <= ch <= "\udfff":
            out.append(ch)
        else:
            out.append(ascii(ch)[1:-1])  # '\n', '\x07', '\udc80'
    return "".join(out)


def _assemble(
    source_name: str,
    source_hash: str,
    hoisted: list[str],
    params: Mapping[str, str],
    helpers: set[str],
    body: list[str],
    reads_display: bool,
    scaffold: set[str],
) -> str:
    name = _docstring_text(source_name)
    literal = {n: d for n, d in params.items() if _literal(d)}
    signature = ", ".join(f"{n}={params[n]}" if n in literal else f"{n}=_NOT_GIVEN"
                          for n in params)
    argparse_lines = []
    for name, default in params.items():
        if name in literal:
            kind = "str" if isinstance(ast.literal_eval(default), str) else "json.loads"
            argparse_lines.append(f"{INDENT}parser.add_argument('--{name}', type={kind}, "
                                  f"default={default}, help={('default: ' + default)!r})")
        else:
            argparse_lines.append(f"{INDENT}parser.add_argument('--{name}', type=json.loads, "
                                  f"default=argparse.SUPPRESS, help={('default: ' + default)!r})")
    parts = [
        f'"""Production module generated by jupyter-bighead from {name}.',
        "",
        f"Source sha256: {source_hash}. Do not edit: change the notebook and run",
        "`jupyter bighead productionize` again.",
        "",
        "Run it as a script (`python this.py --NAME VALUE`) or call `main(NAME=VALUE)`;",
        "either way the notebook's cells run at module level, as in the notebook.",
        '"""',
        *hoisted,
        "",
        *(["from IPython.display import display", ""] if reads_display else []),
        "_NOT_GIVEN = object()",
        f"_SCAFFOLD = {sorted(scaffold)!r}  # names of this file, not of the notebook",
        "",
        "",
        f"def main({signature}):",
        f'{INDENT}"""Run the production cells of {name}; return their namespace."""',
        f"{INDENT}given = {{k: v for k, v in locals().items() if v is not _NOT_GIVEN}}",
        f"{INDENT}return _bighead_run(given)",
        "",
        "",
        "def _bighead_run(parameters):",
        f'{INDENT}"""Run this file as __main__ (like the notebook) with ``parameters``."""',
        f"{INDENT}import runpy",
        "",
        f"{INDENT}namespace = runpy.run_path(__file__, run_name='__main__',",
        f"{INDENT}                           init_globals={{'_bighead_parameters': parameters}})",
        f"{INDENT}return {{k: v for k, v in namespace.items()",
        f"{INDENT}        if not k.startswith(('__', '_bighead')) and k not in _SCAFFOLD}}",
        "",
        "",
        "def _parse_args(argv=None):",
        f"{INDENT}import argparse",
        f"{INDENT}import json",
        "",
        f"{INDENT}parser = argparse.ArgumentParser(description=main.__doc__)",
        *argparse_lines,
        f"{INDENT}return vars(parser.parse_args(argv))",
        "",
        "",
        *[HELPERS[name] + "\n\n" for name in sorted(helpers)],
        'if __name__ == "__main__":',
        f"{INDENT}if '_bighead_parameters' not in globals():  # run as a script",
        f"{INDENT}{INDENT}_bighead_parameters = _parse_args()",
        indent_code("\n".join(body)),
        "",
    ]
    text = "\n".join(parts)
    try:
        compile(text, source_name, "exec", dont_inherit=True)
    except SyntaxError as exc:  # never write a module that does not compile
        raise InvalidSpec(f"the module built from {source_name} does not compile: "
                          f"{exc.msg} at line {exc.lineno}") from exc
    return text
