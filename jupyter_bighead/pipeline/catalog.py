"""The block catalog: built-in blocks, installed packages' blocks, and shared folders.

Blocks are found in four places, in this order of precedence (a later block with a
name already taken is listed as an error, never silently swapped in):

1. the built-in blocks of :mod:`jupyter_bighead.pipeline`;
2. blocks registered in this process with :func:`register_block` (a notebook's own);
3. the entry-point group ``jupyter_bighead.blocks`` of installed packages
   (``MyBlock = "my_pkg.blocks:MyBlock"``), found through :mod:`jupyter_bighead.plugins`
   (family ``"block"``) like every other plugin;
4. ``.py`` modules in the block folders: the ``block_paths`` argument, else the
   folders set with :func:`configure` (the server's ``c.BigheadApp.block_paths``),
   plus ``$BIGHEAD_BLOCK_PATHS`` (``os.pathsep``-separated). Every :class:`Block`
   subclass defined in such a module is a block.

Loading a stored pipeline resolves its blocks through this same catalog, so a
pipeline loads wherever its blocks are installed or shared. A module that fails to
import is reported as an entry with an ``error``; it never breaks the listing.
"""

from __future__ import annotations

import hashlib
import importlib.util
import inspect
import logging
import os
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import jupyter_bighead.plugins as plugins

from .._json import json_safe
from ..config import BLOCK_PATHS_ENV
from ..errors import InvalidSpec, UnknownBlock
from .base import Block

log = logging.getLogger(__name__)

GROUP = plugins.FAMILIES["block"].group
ENV = BLOCK_PATHS_ENV

_REGISTERED: dict[str, type[Block]] = {}
_CONFIGURED: list[str] = []
_FOLDER_MODULES: dict[tuple[str, int], Any] = {}


@dataclass(frozen=True)
class Found:
    """One catalog entry: a block class (or the error that kept it out) and its origin."""

    name: str
    cls: type[Block] | None
    source: str  # "builtin", "registered", "entry point <dist>", "folder <path>"
    package: str | None  # distribution name, module or folder it came from
    error: str | None = None


def register_block(cls: type[Block], name: str | None = None) -> type[Block]:
    """Add ``cls`` to the catalog of this process (usable as a class decorator).

    Raises
    ------
    InvalidSpec
        If ``cls`` is not a :class:`Block` subclass.
    """
    if not (isinstance(cls, type) and issubclass(cls, Block)):
        raise InvalidSpec(f"{cls!r} is not a jupyter_bighead.pipeline.Block subclass")
    _REGISTERED[name or cls.__name__] = cls
    return cls


def configure(block_paths: Iterable[str | os.PathLike[str]]) -> None:
    """Set the shared block folders (what ``c.BigheadApp.block_paths`` holds)."""
    _CONFIGURED[:] = [str(p) for p in block_paths]


def block_folders(block_paths: Sequence[str | os.PathLike[str]] | None = None) -> list[str]:
    """The folders searched: ``block_paths`` if given, else the configured ones, plus
    the folders in ``$BIGHEAD_BLOCK_PATHS``."""
    base = [str(p) for p in block_paths] if block_paths is not None else list(_CONFIGURED)
    extra = [p for p in os.environ.get(ENV, "").split(os.pathsep) if p]
    return list(dict.fromkeys(base + extra))


def _builtins() -> list[Found]:
    import jupyter_bighead.pipeline.blocks as blocks
    import jupyter_bighead.pipeline.image as image
    import jupyter_bighead.pipeline.lookup as lookup

    found = []
    for module in (blocks, image, lookup):
        for cls in vars(module).values():
            if (isinstance(cls, type) and issubclass(cls, Block) and cls is not Block
                    and cls.__module__ == module.__name__):
                found.append(Found(cls.__name__, cls, "builtin", "jupyter-bighead"))
    return sorted(found, key=lambda f: f.name)


def _not_a_block(obj: Any) -> str | None:
    if isinstance(obj, type) and issubclass(obj, Block):
        return None
    return "is not a Block subclass"


def _entry_points() -> list[Found]:
    found = []
    for item in plugins.discover("block", check=_not_a_block):
        if item.error is not None:
            log.warning("block entry point %s (%s) failed: %s", item.name, item.dist, item.error)
        found.append(Found(item.name, item.obj, f"entry point {item.dist}", item.dist,
                           item.error))
    return found


def _load_folder_module(path: Path) -> Any:
    key = (str(path), path.stat().st_mtime_ns)
    if key not in _FOLDER_MODULES:
        digest = hashlib.sha1(str(path).encode("utf-8")).hexdigest()[:10]
        name = f"bighead_blocks_{digest}.{path.stem}"
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot import {path}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # classes must find their module (pickle, inspect)
        try:
            spec.loader.exec_module(module)
        except BaseException:
            sys.modules.pop(name, None)
            raise
        _FOLDER_MODULES[key] = module
    return _FOLDER_MODULES[key]


def _folders(folders: list[str]) -> list[Found]:
    found = []
    for folder in folders:
        root = Path(folder).expanduser()
        if not root.is_dir():
            found.append(Found(root.name, None, f"folder {root}", str(root),
                               "the block folder does not exist"))
            continue
        for path in sorted(root.glob("*.py")):
            if path.name.startswith("_"):
                continue
            try:
                module = _load_folder_module(path)
            except Exception as exc:
                log.warning("block module %s failed to import: %s", path, exc)
                found.append(Found(path.stem, None, f"folder {root}", str(path),
                                   f"{type(exc).__name__}: {exc}"))
                continue
            for cls in vars(module).values():
                if (isinstance(cls, type) and issubclass(cls, Block)
                        and cls.__module__ == module.__name__):
                    found.append(Found(cls.__name__, cls, f"folder {root}", str(path)))
    return found


def catalog(block_paths: Sequence[str | os.PathLike[str]] | None = None) -> list[Found]:
    """Every entry, in precedence order; a name already taken becomes an error entry."""
    registered = [Found(n, c, "registered", c.__module__) for n, c in _REGISTERED.items()]
    entries = _builtins() + registered + _entry_points() + _folders(block_folders(block_paths))
    seen: dict[str, Found] = {}
    out = []
    for entry in entries:
        first = seen.get(entry.name)
        if first is not None and entry.cls is not None:
            if first.cls is entry.cls:
                continue
            entry = Found(entry.name, None, entry.source, entry.package,
                          f"the name {entry.name!r} is already taken by the block from "
                          f"{first.source}")
        elif entry.cls is not None:
            seen[entry.name] = entry
        out.append(entry)
    return out


def get_block(name: str, block_paths: Sequence[str | os.PathLike[str]] | None = None,
              *, package: str | None = None, source: str | None = None) -> type[Block]:
    """The block class called ``name``.

    ``package`` and ``source`` (what a stored pipeline recorded) only improve the
    error message.

    Raises
    ------
    UnknownBlock
        If no catalog entry has that name, or its module failed to import.
    """
    broken = None
    for entry in catalog(block_paths):
        if entry.name == name:
            if entry.cls is not None:
                return entry.cls
            broken = broken or entry
    origin = f" from {source or 'an unknown source'}" + (f" (package {package!r})"
                                                         if package else "")
    hint = (f"; it failed to load: {broken.error}" if broken else
            f"; install {package!r} or add its module to the block folders"
            if package and package != "jupyter-bighead" else "")
    raise UnknownBlock(f"block {name!r}{origin} is not in the block catalog here{hint}",
                       {"block": name, "package": package, "source": source})


def origin(cls: type[Block]) -> Found:
    """The catalog entry that holds ``cls`` exactly.

    Raises
    ------
    InvalidSpec
        If the class is not reachable through the catalog (so it could not be loaded
        back): register it, ship it in a package's entry points, or put it in a block
        folder.
    """
    for entry in catalog():
        if entry.cls is cls:
            return entry
    raise InvalidSpec(
        f"block {cls.__name__} (module {cls.__module__}) is not in the block catalog, so a "
        f"stored pipeline could not find it again: decorate it with register_block, ship it "
        f"under the {GROUP!r} entry points, or put its module in a block folder"
    )


def _parameters(cls: type[Block]) -> list[dict[str, Any]]:
    params = []
    for p in list(inspect.signature(cls.__init__).parameters.values())[1:]:
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        annotation = p.annotation
        if annotation is inspect.Parameter.empty:
            type_text = None
        else:
            type_text = annotation if isinstance(annotation, str) else inspect.formatannotation(
                annotation)
        required = p.default is inspect.Parameter.empty
        params.append({"name": p.name, "type": type_text, "required": required,
                       "default": None if required else json_safe(p.default, style="params")})
    return params


def _summary(cls: type) -> str:
    doc = inspect.getdoc(cls) or ""
    return doc.strip().split("\n\n")[0].replace("\n", " ") if doc else ""


def snippet(entry: Found) -> str:
    """Python code that builds the block with its defaults, to paste into a notebook."""
    cls = entry.cls
    if cls is None:
        return ""
    if entry.source == "builtin":
        head = f"from jupyter_bighead.pipeline import {cls.__name__}\n"
    elif entry.source.startswith("folder"):
        head = (f"from jupyter_bighead.pipeline.catalog import get_block\n\n"
                f"{cls.__name__} = get_block({entry.name!r})\n")
    else:
        head = f"from {cls.__module__} import {cls.__qualname__}\n"
    args = []
    for p in _parameters(cls):
        if p["name"] == "columns":
            args.append("columns=[...]")
        elif not p["required"]:
            default = inspect.signature(cls.__init__).parameters[p["name"]].default
            args.append(f"{p['name']}={default!r}")
        else:
            args.append(f"{p['name']}=...")
    var = "".join("_" + ch.lower() if ch.isupper() else ch for ch in cls.__name__).lstrip("_")
    return f"{head}\n{var} = {cls.__name__}({', '.join(args)})\n"


def _owner(entry: Found) -> str | None:
    if entry.source == "builtin":
        return "jupyter-bighead"
    if entry.source.startswith("entry point") and entry.package:
        try:
            meta = metadata.metadata(entry.package)
            return meta["Author"] or meta["Author-email"] or None
        except metadata.PackageNotFoundError:
            return None
    if entry.source.startswith("folder") and entry.package:
        try:
            import pwd

            return pwd.getpwuid(Path(entry.package).stat().st_uid).pw_name
        except (ImportError, KeyError, OSError):
            return None
    return None


def describe(entry: Found) -> dict[str, Any]:
    """One entry as the JSON the catalog API serves."""
    if entry.cls is None:
        return {"name": entry.name, "summary": "", "parameters": [], "resources": None,
                "owner": None, "source": entry.source, "package": entry.package,
                "error": entry.error, "snippet": ""}
    cls = entry.cls
    return {
        "name": entry.name,
        "summary": _summary(cls),
        "doc": inspect.getdoc(cls) or "",
        "parameters": _parameters(cls),
        "resources": dict(cls.resources),
        "owner": cls.owner or _owner(entry),
        "input_kind": cls.input_kind,
        "non_null": cls.non_null,
        "source": entry.source,
        "package": entry.package,
        "module": cls.__module__,
        "error": entry.error,
        "snippet": snippet(entry),
    }


def list_blocks(block_paths: Sequence[str | os.PathLike[str]] | None = None
                ) -> list[dict[str, Any]]:
    """The catalog as JSON-able dicts: ``name``, ``summary``, ``parameters`` (name, type,
    default, required), ``resources``, ``owner``, ``source``, ``snippet``, and
    ``error`` (``None`` unless the block could not be loaded)."""
    return [describe(e) for e in catalog(block_paths)]
