"""Translate IPython magics and shell escapes in a production cell into plain Python.

IPython turns ``%time fit()`` into ``get_ipython().run_line_magic('time', 'fit()')``
(see :func:`.deps.to_python`). In a module there is no ``get_ipython()``, so each such
call is replaced by code with the same meaning: the statement under ``%time``,
``%%time`` or ``%%capture`` runs as written, ``!cmd`` runs in a shell, ``%env`` sets
``os.environ``, ``%cd`` changes the folder. Magics that only change how the notebook
*looks* (``%matplotlib inline``, ``%config``, ``%load_ext``) are dropped with a note.
Anything else has no Python meaning outside IPython, and the cell is refused
(:class:`InvalidSpec` naming the cell and line) rather than silently changed.
"""

from __future__ import annotations

import ast
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field

from ..errors import InvalidSpec
from .source import first_line, to_python

#: Magics that only change the notebook's display or the interactive session.
DISPLAY_ONLY = frozenset({
    "matplotlib", "config", "load_ext", "reload_ext", "unload_ext", "autoreload", "aimport",
    "precision", "pprint", "who", "whos", "lsmagic", "history", "hist", "pdb", "xmode",
    "colors", "automagic", "autocall", "pinfo", "pinfo2", "psource", "pdoc", "pdef", "pfile",
    "magic", "quickref", "tensorflow_version", "tensorboard", "debug", "tb", "notebook",
})
#: IPython's default shell aliases (``%ls`` runs ``ls``).
ALIASES = frozenset({"ls", "mkdir", "rmdir", "cp", "mv", "rm", "cat", "less", "man", "clear",
                     "ll", "lf", "lk", "lx", "ldir"})
#: ``%%html`` and friends: their body is shown with the matching IPython.display class.
RICH_CELLS = {"html": "HTML", "markdown": "Markdown", "latex": "Latex", "svg": "SVG",
              "javascript": "Javascript", "js": "Javascript"}
_TIMEIT_FLAGS_WITH_VALUE = ("-n", "-r", "-p")
_NS = "{**globals(), **locals()}"

#: Source of the helpers a translated module may call, by name.
HELPERS = {
    "_bighead_expand": '''def _bighead_expand(text, namespace):
    """Expand $name and {expression} as IPython does in shell commands and magic arguments."""
    from IPython.utils.text import DollarFormatter

    try:
        return DollarFormatter().vformat(text, (), namespace)
    except Exception:  # IPython leaves the text as it is when expansion fails
        return text''',
    "_bighead_system": '''def _bighead_system(command):
    """`!command`: run it in a shell, as IPython does (a failure does not stop the run)."""
    import os
    import subprocess

    subprocess.run(command, shell=True, executable=os.environ.get("SHELL"))''',
    "_bighead_getoutput": '''def _bighead_getoutput(command):
    """`x = !command`: the command's output lines (stdout and stderr), as IPython's SList."""
    import os
    import subprocess

    from IPython.utils.text import SList

    done = subprocess.run(command, shell=True, executable=os.environ.get("SHELL"),
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return SList(done.stdout.splitlines())''',
    "_bighead_script": '''def _bighead_script(shell, body, out, err, check):
    """`%%bash`: run the cell in the shell; (stdout, stderr) as text where captured."""
    import subprocess

    done = subprocess.run([shell], input=body, text=True, errors="replace",
                          stdout=subprocess.PIPE if out else None,
                          stderr=subprocess.PIPE if err else None)
    if check and done.returncode != 0:  # IPython raises too, unless --no-raise-error
        raise subprocess.CalledProcessError(done.returncode, body)
    return done.stdout or "", done.stderr or ""''',
}


@dataclass
class CellTranslation:
    """One production cell as plain Python, the helpers it needs and notes on what was dropped."""

    source: str
    helpers: set[str] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)


class _Refused(Exception):
    def __init__(self, line: int, reason: str) -> None:
        super().__init__(reason)
        self.line = line
        self.reason = reason


def _magic_call(node: ast.AST) -> tuple[str, list[str]] | None:
    """``(method, constant args)`` when ``node`` is ``get_ipython().<method>(...)``."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
        return None
    owner = node.func.value
    if not (isinstance(owner, ast.Call) and isinstance(owner.func, ast.Name)
            and owner.func.id == "get_ipython"):
        return None
    args = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
    if len(args) != len(node.args) or node.keywords:
        return None
    return node.func.attr, args


def _display(method: str, args: list[str]) -> str:
    if method in ("system", "getoutput"):
        return "!" + (args[0] if args else "")
    prefix = "%%" if method == "run_cell_magic" else "%"
    return (prefix + " ".join(a for a in args[:2] if a)).split("\n")[0].strip()


def _text(value: str, helpers: set[str], expand: bool = True) -> str:
    """A Python expression for ``value``: a literal, or IPython's $/{} expansion of it."""
    if expand and ("$" in value or "{" in value):
        helpers.add("_bighead_expand")
        return f"_bighead_expand({value!r}, {_NS})"
    return repr(value)


def _indent(code: str) -> str:
    return "\n".join("    " + line if line.strip() else line for line in code.splitlines())


def _timeit_split(line: str) -> tuple[str, bool]:
    """Strip %timeit's options; ``(statement, has -o)``."""
    rest = line.strip()
    wants_result = False
    while rest.startswith("-"):
        flag, _, after = rest.partition(" ")
        if flag == "-o":
            wants_result = True
        if flag in _TIMEIT_FLAGS_WITH_VALUE:  # "-n 50" (a value glued on, "-n50", needs none)
            _, _, after = after.strip().partition(" ")
        rest = after.strip()
    return rest, wants_result


class _Translator:
    def __init__(self, index: int) -> None:
        self.index = index
        self.helpers: set[str] = set()
        self.notes: list[str] = []
        self._counter = 0

    # -- statement and expression forms ------------------------------------------
    def statement(self, method: str, args: list[str], line: int) -> str:
        """Python source replacing the statement ``get_ipython().<method>(*args)``."""
        shown = _display(method, args)
        if method == "system":
            self.helpers.add("_bighead_system")
            return f"_bighead_system({_text(args[0], self.helpers)})"
        if method == "getoutput":
            return self.expression(method, args, line)
        if method == "run_line_magic":
            return self._line_statement(args[0], args[1] if len(args) > 1 else "", line, shown)
        if method == "run_cell_magic":
            name, first, body = [*args, "", "", ""][:3]
            return self._cell(name, first, body, line, shown)
        raise _Refused(line, f"{shown} has no Python equivalent outside IPython")

    def expression(self, method: str, args: list[str], line: int) -> str:
        """Python expression replacing the value ``get_ipython().<method>(*args)``."""
        shown = _display(method, args)
        if method == "getoutput" or (method == "run_line_magic" and args[0] in ("sx", "system")):
            self.helpers.add("_bighead_getoutput")
            command = args[0] if method == "getoutput" else args[1]
            return f"_bighead_getoutput({_text(command, self.helpers)})"
        if method == "run_line_magic":
            name, rest = args[0], (args[1] if len(args) > 1 else "")
            if name in ("time", "prun"):
                code = self._code(rest, line)
                try:
                    ast.parse(code, mode="eval")
                except SyntaxError:
                    raise _Refused(line, f"{shown} is used as a value but is not an "
                                         "expression") from None
                return f"({code})"
            if name == "env":
                return self._env(rest, line, shown, as_value=True)
            if name == "pwd":
                return "__import__('os').getcwd()"
        raise _Refused(line, f"the value of {shown} has no Python equivalent outside IPython")

    # -- line magics ---------------------------------------------------------------
    def _line_statement(self, name: str, rest: str, line: int, shown: str) -> str:
        if name in ("time", "prun"):
            return self._code(rest, line)
        if name == "timeit":
            stmt, wants_result = _timeit_split(rest)
            if wants_result:
                raise _Refused(line, f"{shown}: the timing result (-o) cannot be reproduced")
            return self._timeit("", stmt, line, line)
        if name == "env":
            return self._env(rest, line, shown, as_value=False)
        if name == "cd":
            return self._cd(rest, line, shown)
        if name == "pwd":
            return "pass  # %pwd"
        if name in ("pip", "conda"):
            self.helpers.add("_bighead_system")
            tool = "__import__('sys').executable + ' -m pip '" if name == "pip" else "'conda '"
            return f"_bighead_system({tool} + {_text(rest, self.helpers)})"
        if name in ALIASES:
            self.helpers.add("_bighead_system")
            return f"_bighead_system({_text((name + ' ' + rest).strip(), self.helpers)})"
        if name in ("sx", "system"):
            return self.expression("run_line_magic", [name, rest], line)
        if name == "run":
            return self._run(rest, line, shown)
        if name in DISPLAY_ONLY:
            self.notes.append(f"cell {self.index + 1}, line {line}: {shown} only affects the "
                              "notebook's display or session; left out of the module")
            return f"pass  # [bighead] notebook display only: {shown}"
        raise _Refused(line, f"{shown} has no Python equivalent outside IPython")

    def _env(self, rest: str, line: int, shown: str, *, as_value: bool) -> str:
        rest = rest.strip()
        if not rest:
            return "dict(__import__('os').environ)"
        if "=" in rest or " " in rest:
            sep = "=" if "=" in rest and (" " not in rest or rest.index("=") < rest.index(" ")) \
                else " "
            name, _, value = rest.partition(sep)
            if as_value:
                raise _Refused(line, f"the value of {shown} has no Python equivalent")
            return (f"__import__('os').environ[{name.strip()!r}] = "
                    f"{_text(value.strip(), self.helpers)}")
        return f"__import__('os').environ[{rest!r}]"

    def _cd(self, rest: str, line: int, shown: str) -> str:
        rest = rest.strip()
        try:
            words = shlex.split(rest)
        except ValueError:
            words = []
        if len(words) > 1 or rest.startswith("-"):
            raise _Refused(line, f"{shown}: only `%cd PATH` has a Python equivalent")
        target = words[0] if words else "~"
        return (f"__import__('os').chdir(__import__('os').path.expanduser("
                f"{_text(target, self.helpers)}))")

    def _run(self, rest: str, line: int, shown: str) -> str:
        words = shlex.split(rest) if rest.strip() else []
        if len(words) != 1 or words[0].startswith("-") or not words[0].endswith(".py"):
            raise _Refused(line, f"{shown}: only `%run SCRIPT.py` (no options or arguments) "
                                 "has a Python equivalent")
        return (f"globals().update(__import__('runpy').run_path("
                f"{_text(words[0], self.helpers)}, run_name='__main__'))")

    # -- cell magics ---------------------------------------------------------------
    def _cell(self, name: str, first: str, body: str, line: int, shown: str) -> str:
        if name in ("time", "prun"):
            return self._code(body, line + 1) or "pass"  # the body starts on the next line
        if name == "timeit":
            setup, wants_result = _timeit_split(first)
            if wants_result:
                raise _Refused(line, f"{shown}: the timing result (-o) cannot be reproduced")
            return self._timeit(setup, body, line, line + 1)
        if name == "capture":
            return self._capture(first, body, line, shown)
        if name == "writefile":
            words = shlex.split(first)
            append = "-a" in words or "--append" in words
            paths = [w for w in words if not w.startswith("-")]
            if len(paths) != 1:
                raise _Refused(line, f"{shown}: expected one file name")
            path = _text(paths[0], self.helpers)
            return (f"with open(__import__('os').path.expanduser({path}), "
                    f"{'a' if append else 'w'!r}, encoding='utf-8') as _bighead_file:\n"
                    f"    _bighead_file.write({body!r})")
        if name in ("bash", "sh") or (name == "script" and first.split()[:1] in (["bash"],
                                                                                  ["sh"])):
            return self._script(name, first, body, line, shown)
        if name in RICH_CELLS:
            cls = RICH_CELLS[name]
            shown_mod = "__import__('IPython.display', fromlist=['display'])"
            return f"{shown_mod}.display({shown_mod}.{cls}({body!r}))"
        raise _Refused(line, f"{shown} has no Python equivalent outside IPython")

    def _script(self, name: str, first: str, body: str, line: int, shown: str) -> str:
        """``%%bash [--out V] [--err V] [--no-raise-error]``: IPython's script magic options."""
        try:
            words = shlex.split(first)
        except ValueError:
            words = ["-"]  # unbalanced quotes: refused below
        shell = name
        if name == "script":
            shell, words = words[0], words[1:]
        targets = {"--out": "", "--err": ""}
        check = True
        while words:
            word = words.pop(0)
            if word in targets and words and words[0].isidentifier():
                targets[word] = words.pop(0)
            elif word == "--no-raise-error":
                check = False
            else:
                raise _Refused(line, f"{shown}: only --out NAME, --err NAME and "
                                     f"--no-raise-error have a Python equivalent, not {word!r}")
        self.helpers.add("_bighead_script")
        call = (f"_bighead_script({shell!r}, {body!r}, out={bool(targets['--out'])}, "
                f"err={bool(targets['--err'])}, check={check})")
        if not any(targets.values()):
            return call
        self._counter += 1
        result = f"_bighead_script_{self.index + 1}_{self._counter}"
        assigns = [f"{var} = {result}[{n}]" for n, var in enumerate(targets.values()) if var]
        return "\n".join([f"{result} = {call}", *assigns, f"del {result}"])

    def _capture(self, first: str, body: str, line: int, shown: str) -> str:
        words = shlex.split(first)
        options = {"--no-stdout": "stdout", "--no-stderr": "stderr", "--no-display": "display"}
        flags = {options[w]: False for w in words if w in options}
        names = [w for w in words if w not in options]
        if len(names) > 1 or any(n.startswith("-") or not n.isidentifier() for n in names):
            raise _Refused(line, f"{shown}: unknown options")
        args = ", ".join(f"{k}=False" for k in flags)
        target = f" as {names[0]}" if names else ""
        code = self._code(body, line + 1) or "pass"
        return ("with __import__('IPython.utils.capture', fromlist=['capture_output'])"
                f".capture_output({args}){target}:\n{_indent(code)}")

    def _timeit(self, setup: str, stmt: str, line: int, stmt_line: int) -> str:
        # %timeit runs its code inside a function (IPython's timeit template), so its
        # assignments never reach the notebook's namespace; run it once the same way.
        self._counter += 1
        fn = f"_bighead_timeit_{self.index + 1}_{self._counter}"
        code = "\n".join(c for c in (self._code(setup, line), self._code(stmt, stmt_line)) if c)
        self.notes.append(f"cell {self.index + 1}, line {line}: %timeit's code runs once "
                          "in the module (no timing loop)")
        return f"def {fn}():\n{_indent(code or 'pass')}\n{fn}()\ndel {fn}"

    def _code(self, code: str, line: int) -> str:
        """Translate IPython code found inside a magic (it may hold magics itself).

        ``line`` is the cell line on which ``code`` starts, for error messages.
        """
        if not code.strip():
            return ""
        return translate_source(code, self.index, self, line_offset=line - 1)


def translate_source(source: str, index: int, translator: _Translator | None = None,
                     line_offset: int = 0) -> str:
    """Plain Python for IPython ``source``; see :func:`translate_cell`."""
    t = translator or _Translator(index)
    python = to_python(source)
    try:
        tree = ast.parse(python)
    except SyntaxError as exc:
        raise _Refused(line_offset + (exc.lineno or 1), f"not valid Python: {exc.msg}") from exc
    owners = _owners(tree)
    if not owners:
        return python.rstrip("\n")
    lines = python.splitlines()
    out: list[str] = []
    replaced: dict[int, tuple[int, str]] = {}
    for stmt in owners:
        replaced[stmt.lineno] = (stmt.end_lineno or stmt.lineno,
                                 _replace(stmt, t, line_offset + stmt.lineno))
    n = 1
    while n <= len(lines):
        if n in replaced:
            end, code = replaced[n]
            text = lines[n - 1]
            pad = text[: len(text) - len(text.lstrip())]
            out += [pad + c if c.strip() else c for c in code.splitlines()]
            n = end + 1
            continue
        out.append(lines[n - 1])
        n += 1
    return "\n".join(out)


def _owners(tree: ast.Module) -> list[ast.stmt]:
    """The innermost statements that hold a ``get_ipython()`` magic call."""
    found: list[ast.stmt] = []

    def visit(node: ast.AST, owner: ast.stmt | None) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.stmt):
                visit(child, child)
                continue
            if owner is not None and _magic_call(child) is not None and owner not in found:
                found.append(owner)
            visit(child, owner)

    visit(tree, None)
    return found


class _Rewrite(ast.NodeTransformer):
    """Replace magic calls used as values by their Python expression."""

    def __init__(self, t: _Translator, line: int) -> None:
        self.t = t
        self.line = line

    def visit_Call(self, node: ast.Call) -> ast.AST:
        call = _magic_call(node)
        if call is None:
            return self.generic_visit(node)
        return ast.parse(self.t.expression(call[0], call[1], self.line), mode="eval").body


def _replace(stmt: ast.stmt, t: _Translator, line: int) -> str:
    if isinstance(stmt, ast.Expr):
        call = _magic_call(stmt.value)
        if call is not None:
            return t.statement(call[0], call[1], line)
    new = _Rewrite(t, line).visit(stmt)
    return ast.unparse(ast.fix_missing_locations(new))


def translate_cell(source: str, index: int) -> CellTranslation:
    """Plain Python with the meaning of one production cell's IPython ``source``.

    Raises
    ------
    InvalidSpec
        A magic or shell escape has no Python equivalent (``%store``, ``%%perl``, the
        value of ``%timeit -o``...), or the cell uses top-level ``await``; the message
        names the cell and line.
    """
    translator = _Translator(index)
    try:
        python = translate_source(source, index, translator)
        tree = ast.parse(python)
    except _Refused as exc:
        raise _refusal(source, index, exc.line, exc.reason) from None
    for node in _top_level_awaits(tree):
        raise _refusal(source, index, getattr(node, "lineno", 1),
                       "top-level `await` cannot run in a module; wrap the coroutine in "
                       "asyncio.run(...) in the notebook")
    return CellTranslation(python, translator.helpers, translator.notes)


def _refusal(source: str, index: int, line: int, reason: str) -> InvalidSpec:
    text = source.splitlines()[line - 1].strip() if 0 < line <= len(source.splitlines()) else ""
    return InvalidSpec(
        f"cell {index + 1} ({first_line(source)!r}), line {line}: {reason}",
        details={"cell": index, "line": line, "text": text, "reason": reason},
    )


def _top_level_awaits(tree: ast.Module) -> list[ast.AST]:
    found: list[ast.AST] = []
    skip: Callable[[ast.AST], bool] = lambda n: isinstance(  # noqa: E731
        n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if skip(child):
                continue
            if isinstance(child, (ast.Await, ast.AsyncFor, ast.AsyncWith)) or (
                    isinstance(child, ast.comprehension) and child.is_async):
                found.append(child if not isinstance(child, ast.comprehension) else node)
            visit(child)

    visit(tree)
    return found
