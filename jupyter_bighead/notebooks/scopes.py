"""Static name analysis of one notebook cell with :mod:`ast`.

For each top-level statement we compute which module-level names it reads *now*
(at execution), which it reads *later* (free names inside function and lambda
bodies, read when called), which it binds and which it deletes. Comprehensions
get their own scope, walrus targets bind in the enclosing scope, ``global``
declarations inside functions bind module names, and ``from x import *`` is
recorded as an opaque definition.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass
class StatementNames:
    """Names one top-level statement touches at module scope."""

    line: int
    reads_now: set[str] = field(default_factory=set)
    reads_later: set[str] = field(default_factory=set)
    binds: set[str] = field(default_factory=set)
    deletes: set[str] = field(default_factory=set)
    star_imports: list[str] = field(default_factory=list)


def _target_names(node: ast.AST) -> set[str]:
    """Names bound by an assignment target (tuples, starred, not attributes/subscripts)."""
    if isinstance(node, ast.Name):
        return {node.id}
    if isinstance(node, (ast.Tuple, ast.List)):
        out: set[str] = set()
        for elt in node.elts:
            out |= _target_names(elt)
        return out
    if isinstance(node, ast.Starred):
        return _target_names(node.value)
    return set()


class _Scope:
    """A function/lambda/comprehension body: what it binds locally and reads freely."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.locals: set[str] = set()
        self.globals: set[str] = set()
        self.nonlocals: set[str] = set()
        self.loads: set[str] = set()
        self.walrus: set[str] = set()  # only for comprehensions: binds outward
        self.children_free: set[str] = set()

    def free(self) -> set[str]:
        bound = (self.locals - self.globals) | self.nonlocals
        return (self.loads | self.children_free) - bound


class _Analyzer(ast.NodeVisitor):
    """Walks one top-level statement; module scope is the bottom of the stack."""

    def __init__(self, out: StatementNames) -> None:
        self.out = out
        self.stack: list[_Scope] = []
        # Module names bound so far within this statement (a compound statement
        # such as `try`/`with`/`for` can bind a name and read it afterwards).
        self.bound_now: set[str] = set()

    # -- helpers -----------------------------------------------------------------
    def _bind(self, name: str) -> None:
        if not self.stack:
            self.out.binds.add(name)
            self.bound_now.add(name)
            return
        scope = self.stack[-1]
        if scope.kind != "comprehension" and name in scope.globals:
            self.out.binds.add(name)  # `global x; x = 1` inside a function
        scope.locals.add(name)

    def _load(self, name: str) -> None:
        if not self.stack:
            if name not in self.bound_now:
                self.out.reads_now.add(name)
        else:
            self.stack[-1].loads.add(name)

    def _run_scope(self, scope: _Scope, body: Sequence[ast.AST]) -> None:
        self.stack.append(scope)
        for node in body:
            self.visit(node)
        self.stack.pop()
        free = scope.free()
        if self.stack:
            self.stack[-1].children_free |= free
        else:
            self.out.reads_later |= free

    # -- names -------------------------------------------------------------------
    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Load):
            self._load(node.id)
        elif isinstance(node.ctx, ast.Store):
            self._bind(node.id)
        else:  # Del
            if not self.stack:
                self.out.deletes.add(node.id)
                self.bound_now.discard(node.id)
            else:
                self.stack[-1].locals.add(node.id)

    # Evaluation order: the value is computed before the targets are bound.
    def visit_Assign(self, node: ast.Assign) -> None:
        self.visit(node.value)
        for target in node.targets:
            self.visit(target)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self.visit(node.value)
        self.visit(node.annotation)
        self.visit(node.target)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        if isinstance(node.target, ast.Name):
            self._load(node.target.id)  # reads the old value first
        self.visit(node.value)
        self.visit(node.target)

    def _for(self, node: ast.For | ast.AsyncFor) -> None:
        self.visit(node.iter)
        self.visit(node.target)
        for stmt in [*node.body, *node.orelse]:
            self.visit(stmt)

    visit_For = _for
    visit_AsyncFor = _for

    def visit_Global(self, node: ast.Global) -> None:
        if self.stack:
            self.stack[-1].globals.update(node.names)

    def visit_Nonlocal(self, node: ast.Nonlocal) -> None:
        if self.stack:
            self.stack[-1].nonlocals.update(node.names)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._bind(alias.asname or alias.name.split(".")[0])

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        for alias in node.names:
            if alias.name == "*":
                if not self.stack:
                    self.out.star_imports.append("." * node.level + (node.module or ""))
                continue
            self._bind(alias.asname or alias.name)

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self.visit(node.value)
        name = node.target.id
        # PEP 572: inside a comprehension the target binds in the enclosing scope.
        depth = len(self.stack)
        while depth and self.stack[depth - 1].kind == "comprehension":
            depth -= 1
        for scope in self.stack[depth:]:
            scope.walrus.add(name)  # not a free read of the comprehension
        if depth == 0:
            self.out.binds.add(name)
        else:
            self.stack[depth - 1].locals.add(name)

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        if node.type is not None:
            self.visit(node.type)
        if node.name:
            self._bind(node.name)
        for stmt in node.body:
            self.visit(stmt)

    def visit_MatchAs(self, node: ast.MatchAs) -> None:
        if node.pattern is not None:
            self.visit(node.pattern)
        if node.name:
            self._bind(node.name)

    def visit_MatchStar(self, node: ast.MatchStar) -> None:
        if node.name:
            self._bind(node.name)

    def visit_MatchMapping(self, node: ast.MatchMapping) -> None:
        self.generic_visit(node)
        if node.rest:
            self._bind(node.rest)

    # -- scopes ------------------------------------------------------------------
    def _arguments(self, args: ast.arguments) -> tuple[set[str], list[ast.expr]]:
        names = {a.arg for a in args.posonlyargs + args.args + args.kwonlyargs}
        if args.vararg:
            names.add(args.vararg.arg)
        if args.kwarg:
            names.add(args.kwarg.arg)
        defaults = [d for d in args.defaults + args.kw_defaults if d is not None]
        return names, defaults

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        for deco in node.decorator_list:
            self.visit(deco)
        names, defaults = self._arguments(node.args)
        for expr in defaults:
            self.visit(expr)
        for ann in self._annotations(node):
            self.visit(ann)
        scope = _Scope("function")
        scope.locals |= names
        self._run_scope(scope, node.body)
        self._bind(node.name)

    def _annotations(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.expr]:
        args = node.args
        every = args.posonlyargs + args.args + args.kwonlyargs
        every += [a for a in (args.vararg, args.kwarg) if a is not None]
        anns = [a.annotation for a in every if a.annotation is not None]
        return anns + ([node.returns] if node.returns is not None else [])

    visit_FunctionDef = _function
    visit_AsyncFunctionDef = _function

    def visit_Lambda(self, node: ast.Lambda) -> None:
        names, defaults = self._arguments(node.args)
        for expr in defaults:
            self.visit(expr)
        scope = _Scope("function")
        scope.locals |= names
        self._run_scope(scope, [node.body])

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for expr in [*node.decorator_list, *node.bases, *(k.value for k in node.keywords)]:
            self.visit(expr)
        # A class body runs now; its names are not visible to its methods.
        scope = _Scope("class")
        self.stack.append(scope)
        for stmt in node.body:
            self.visit(stmt)
        self.stack.pop()
        now = scope.loads - scope.locals
        later = scope.children_free
        if self.stack:
            self.stack[-1].loads |= now
            self.stack[-1].children_free |= later
        else:
            self.out.reads_now |= now
            self.out.reads_later |= later
        self._bind(node.name)

    def _comprehension(
        self, node: ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp
    ) -> None:
        generators = node.generators
        # The first iterable is evaluated in the enclosing scope.
        self.visit(generators[0].iter)
        scope = _Scope("comprehension")
        self.stack.append(scope)
        for i, gen in enumerate(generators):
            if i > 0:
                self.visit(gen.iter)
            scope.locals |= _target_names(gen.target)
            for cond in gen.ifs:
                self.visit(cond)
        if isinstance(node, ast.DictComp):
            self.visit(node.key)
            self.visit(node.value)
        else:
            self.visit(node.elt)
        self.stack.pop()
        free = (scope.loads | scope.children_free) - scope.locals - scope.walrus
        if self.stack:
            self.stack[-1].loads |= free
        else:
            self.out.reads_now |= free

    visit_ListComp = _comprehension
    visit_SetComp = _comprehension
    visit_GeneratorExp = _comprehension
    visit_DictComp = _comprehension


def analyze_statement(node: ast.stmt) -> StatementNames:
    """The module-level names one top-level statement reads, binds and deletes."""
    out = StatementNames(line=getattr(node, "lineno", 0))
    _Analyzer(out).visit(node)
    return out
