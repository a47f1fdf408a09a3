"""Admin settings checked when the server starts, cheaply.

A value traitlets refuses (``c.BigheadApp.executor = "nope"``, a negative limit) raises
:class:`SettingError`, a ``TraitError``, so traitlets keeps the previous value instead
of the refused one. :func:`check_plugins` then checks what only makes sense together:
the chosen executor, deploy targets and registry store exist and take the options the
admin gave them. Built-in plugins are checked from their source (their constructor's
parameters, read with :mod:`ast`), so a server start imports none of them; a plugin from
an installed package is loaded, as using it would.

A server whose settings are wrong still starts (the rest of Jupyter works), logs each
problem as an ERROR, and answers every Bighead request with a 500 naming the setting
(:class:`Misconfigured`): the admin has something to fix, not the user.
"""

from __future__ import annotations

import ast
import inspect
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from traitlets import TraitError

from jupyter_bighead import plugins
from jupyter_bighead.errors import BigheadError


class SettingError(TraitError, ValueError):
    """A ``c.BigheadApp`` setting traitlets must refuse (and so not keep)."""


class Misconfigured(BigheadError):
    """The server's Bighead settings are wrong: every Bighead request answers 500."""

    code = "server_misconfigured"


def masked(text: str) -> str:
    """``text`` with the password of any ``scheme://user:password@host`` hidden."""
    return re.sub(r"//([^:/@\s]+):[^@\s]*@", r"//\1:***@", text)


@dataclass(frozen=True)
class Parameters:
    """What a plugin's constructor takes (after ``self``)."""

    names: tuple[str, ...]
    required: frozenset[str]
    positional: tuple[str, ...]  # the ones a positional argument may fill, in order
    any_keyword: bool  # it takes **kwargs


def _from_signature(target: Any) -> Parameters | None:
    try:
        signature = inspect.signature(target)
    except (TypeError, ValueError):
        return None
    params = list(signature.parameters.values())
    kinds = inspect.Parameter
    return Parameters(
        names=tuple(p.name for p in params if p.kind in (
            kinds.POSITIONAL_OR_KEYWORD, kinds.KEYWORD_ONLY)),
        required=frozenset(p.name for p in params if p.default is kinds.empty and p.kind in (
            kinds.POSITIONAL_ONLY, kinds.POSITIONAL_OR_KEYWORD, kinds.KEYWORD_ONLY)),
        positional=tuple(p.name for p in params if p.kind in (
            kinds.POSITIONAL_ONLY, kinds.POSITIONAL_OR_KEYWORD)),
        any_keyword=any(p.kind is kinds.VAR_KEYWORD for p in params))


def _from_source(target: str) -> Parameters | None:
    """A built-in's parameters read from its module's source (``"module:Class"``), or
    None when the class is not found there or defines no ``__init__`` of its own."""
    import jupyter_bighead

    module, attr = target.split(":")
    base = Path(jupyter_bighead.__file__).parent.joinpath(*module.split(".")[1:])
    path = base / "__init__.py" if base.is_dir() else base.with_suffix(".py")
    try:
        tree = ast.parse(path.read_text("utf-8"))
    except (OSError, SyntaxError):
        return None
    cls = next((n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == attr), None)
    init = None if cls is None else next(
        (n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"), None)
    if init is None:
        return None
    args = init.args
    ordered = [*args.posonlyargs, *args.args][1:]  # without self
    no_default = len(ordered) - len(args.defaults)
    required = {a.arg for a in ordered[:no_default]} | {
        a.arg for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d is None}
    return Parameters(names=tuple(a.arg for a in [*args.args[1:], *args.kwonlyargs]),
                      required=frozenset(required), positional=tuple(a.arg for a in ordered),
                      any_keyword=args.kwarg is not None)


def parameters(family: str, name: str) -> Parameters | None:
    """The constructor parameters of plugin ``name`` of ``family`` (None: unknown)."""
    target = plugins.family(family).builtins.get(name)
    found = _from_source(target) if target is not None else None
    return found or _from_signature(plugins.load(family, name))


def options_problem(family: str, name: str, options: Mapping[str, Any], *,
                    context: Sequence[str] = (), args: int = 0) -> str | None:
    """What is wrong with the options an admin gave plugin ``name``: one it does not
    take, or one it needs that nobody gives (None: nothing). ``context`` are the keyword
    arguments the server passes itself, ``args`` how many positional ones."""
    kind = plugins.family(family).kind
    try:
        params = parameters(family, name)
    except BigheadError as exc:  # its package fails to import
        return exc.message
    if params is None:
        return None
    filled = set(params.positional[:args])
    settable = [n for n in params.names if n not in filled and n not in context]
    if not params.any_keyword:
        unknown = sorted(set(options) - set(params.names) - filled)
        if unknown:
            return (f"the {kind} {name!r} does not take {', '.join(unknown)} (it takes "
                    f"{', '.join(settable) or 'no options'})")
    missing = sorted(params.required - filled - set(context) - set(options))
    if missing:
        return f"the {kind} {name!r} needs {', '.join(missing)}"
    return None


def registry_scheme(url: str) -> str:
    """The registry store ``url`` names: its scheme, ``sqlite`` for a folder or empty."""
    scheme, sep, _ = url.partition("://")
    return scheme.lower() if sep else "sqlite"


def check_plugins(*, executor: str, executor_options: Mapping[str, Any],
                  executor_context: Sequence[str], deploy_target: str,
                  deploy_options: Mapping[str, Mapping[str, Any]],
                  deploy_target_options: Mapping[str, Any], registry_url: str,
                  registry_store_options: Mapping[str, Any]) -> list[str]:
    """Every problem with the plugin settings, each as ``c.BigheadApp.<setting>: why``.

    ``executor_options`` are the executor's keyword arguments (the admin's over what the
    backend-specific settings give a built-in), ``executor_context`` the ones the server
    passes itself (home, profiles). An option is named only when it is wrong.
    """
    problems = []
    why = options_problem("executor", executor, executor_options, context=executor_context)
    if why:
        problems.append(f"c.BigheadApp.executor_options: {why}")
    if deploy_target_options:
        merged = {**deploy_options.get(deploy_target, {}), **deploy_target_options}
        why = options_problem("deploy_target", deploy_target, merged, context=("home",))
        if why:
            problems.append(f"c.BigheadApp.deploy_target_options: {why}")
    for name, options in deploy_options.items():
        if name not in plugins.family("deploy_target").builtins and \
                name not in plugins.names("deploy_target"):
            problems.append(f"c.BigheadApp.deploy_options: {name!r} is not a deploy target "
                            f"({', '.join(plugins.names('deploy_target'))})")
            continue
        if name == deploy_target and deploy_target_options:
            continue  # checked above, merged
        why = options_problem("deploy_target", name, options, context=("home",))
        if why:
            problems.append(f"c.BigheadApp.deploy_options[{name!r}]: {why}")
    scheme = registry_scheme(registry_url)
    builtins = plugins.family("registry_store").builtins
    if (scheme not in builtins and scheme not in plugins.names("registry_store")) or (
            scheme == "sqlite" and "://" in registry_url
            and not registry_url.startswith("sqlite:///")):
        known = ", ".join(f"{s}://" for s in plugins.names("registry_store"))
        problems.append(f"c.BigheadApp.registry_url: {masked(registry_url)!r} names no "
                        f"registry store (use a folder, sqlite:///PATH.db, or {known})")
    else:
        why = options_problem("registry_store", scheme, registry_store_options, args=1)
        if why:
            problems.append(f"c.BigheadApp.registry_store_options: {why}")
    return problems
