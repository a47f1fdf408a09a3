"""Model flavors: how each kind of model is written to and read from artifacts.

A flavor turns a model into files plus a JSON *wrapper* (``bighead_model.json``)
that says which flavor wrote it, with a versioned ``format`` field, and turns them
back into a model. Nothing is ever pickled: LightGBM models are stored in
LightGBM's own text format and their scikit-learn shell as plain JSON.

Where flavors come from, in the order :func:`flavor_for` asks them:

1. :func:`register_flavor` (a notebook's own flavor; the latest first);
2. the built-in LightGBM flavors (:mod:`.lgbm`);
3. the entry-point group ``jupyter_bighead.flavors`` (family ``"flavor"`` of
   :mod:`jupyter_bighead.plugins`), loaded once per process when first needed (a model
   no flavor above handles, a wrapper naming a flavor not above, a listing): an entry
   point names a :class:`Flavor` subclass (built with no arguments) or instance, under
   the flavor's ``name``; one whose name a built-in has is ignored with a warning, a
   broken one is logged and named in error messages. The pipeline flavor
   (``bighead.pipeline``) comes this way, as a third party's would.

Storing and loading LightGBM models never loads the entry points.

A flavor may store sub-models with :func:`dump_model` / :func:`load_model` under a
prefix, which is how a pipeline stores its final estimator.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from typing import Any

import jupyter_bighead.plugins as plugins

from ..errors import IntegrityError, InvalidSpec
from .base import FORMAT, WRAPPER, Dumped, Flavor, ModelInfo, Reader, wrapper_bytes
from .lgbm import LightGBMBoosterFlavor, LightGBMSklearnFlavor

__all__ = [
    "FORMAT",
    "WRAPPER",
    "Dumped",
    "Flavor",
    "ModelInfo",
    "Reader",
    "available_flavors",
    "dump_model",
    "flavor_for",
    "load_model",
    "refresh_installed",
    "register_flavor",
    "supported",
    "wrapper_bytes",
]

log = logging.getLogger(__name__)


_BUILTIN: dict[str, Flavor] = {}
_REGISTERED: dict[str, Flavor] = {}
_INSTALLED: dict[str, Flavor] = {}
#: Entry points that failed to load: name -> why, for error messages.
_BROKEN: dict[str, str] = {}
_DISCOVERED = False
_LOCK = threading.Lock()


def register_flavor(flavor: Flavor) -> Flavor:
    """Make ``flavor`` available for storing and loading; later ones are tried first,
    before built-in and installed flavors."""
    _REGISTERED.pop(flavor.name, None)
    _REGISTERED[flavor.name] = flavor
    return flavor


def _builtin(flavor: Flavor) -> None:
    _BUILTIN[flavor.name] = flavor


def _as_flavor(obj: Any) -> Flavor:
    return obj() if isinstance(obj, type) else obj


def _check(obj: Any) -> str | None:
    ok = isinstance(obj, Flavor) or (isinstance(obj, type) and issubclass(obj, Flavor))
    return None if ok else "is not a jupyter_bighead.models.Flavor (subclass or instance)"


def _discover() -> None:
    """Load the entry-point flavors once per process (a broken one is logged, kept out,
    and named in error messages)."""
    global _DISCOVERED
    with _LOCK:
        if _DISCOVERED:
            return
        for item in plugins.discover("flavor", check=_check):
            if item.error is None:
                try:
                    flavor = _as_flavor(item.obj)
                except Exception as exc:  # a broken package must not break storing
                    item = plugins.Discovered(item.name, None, item.dist,
                                              f"{type(exc).__name__}: {exc}")
                else:
                    if flavor.name in _BUILTIN:
                        log.warning("model flavor %r from %s clashes with a built-in one; "
                                    "ignored", flavor.name, item.dist)
                        continue
                    _INSTALLED[flavor.name] = flavor
                    continue
            log.warning("model flavor entry point %r (%s) is broken: %s", item.name,
                        item.dist, item.error)
            _BROKEN[item.name] = f"{item.dist}: {item.error}"
        _DISCOVERED = True


def available_flavors() -> list[Flavor]:
    """Every available flavor, in the order :func:`flavor_for` tries them."""
    _discover()
    return [*_known(), *_INSTALLED.values()]


def _known() -> list[Flavor]:
    """The registered and built-in flavors, in the order they are tried."""
    return [*reversed(list(_REGISTERED.values())), *reversed(list(_BUILTIN.values()))]


def _by_name(name: str) -> Flavor | None:
    for table in (_REGISTERED, _BUILTIN):
        if name in table:
            return table[name]
    _discover()
    return _INSTALLED.get(name)


def supported() -> str:
    """The flavors and what each stores, for messages."""
    return "; ".join(f"{f.handles_description} ({f.name})" for f in available_flavors())


def _broken_hint() -> str:
    if not _BROKEN:
        return ""
    return "; broken flavor entry points: " + ", ".join(
        f"{name} ({why})" for name, why in sorted(_BROKEN.items()))


def flavor_for(model: Any) -> Flavor:
    """The flavor that stores ``model``.

    Raises
    ------
    InvalidSpec
        If no flavor handles the model's type; the message lists what is supported (and
        any flavor entry point that failed to load).
    """
    for flavor in _known():
        if flavor.handles(model):
            return flavor
    _discover()
    for flavor in _INSTALLED.values():
        if flavor.handles(model):
            return flavor
    kind = f"{type(model).__module__}.{type(model).__qualname__}"
    raise InvalidSpec(f"cannot store a model of type {kind}: supported are {supported()}"
                      f"{_broken_hint()}")


def dump_model(model: Any, prefix: str = "") -> Dumped:
    """Files and wrapper for ``model``; the wrapper names its flavor and format."""
    flavor = flavor_for(model)
    dumped = flavor.dump(model, prefix)
    wrapper = {"format": FORMAT, "flavor": flavor.name, **dumped.wrapper}
    return Dumped(dumped.files, wrapper)


def load_model(wrapper: Mapping[str, Any], read: Reader) -> Any:
    """Rebuild a model from a wrapper written by :func:`dump_model`.

    Raises
    ------
    IntegrityError
        If the wrapper is from a newer format or names a flavor not installed here (the
        message names the entry-point group that provides flavors).
    """
    fmt = wrapper.get("format")
    if not isinstance(fmt, int) or fmt > FORMAT:
        raise IntegrityError(
            f"model wrapper format {fmt!r} is newer than this jupyter-bighead reads "
            f"(up to {FORMAT}): upgrade jupyter-bighead"
        )
    name = str(wrapper.get("flavor"))
    flavor = _by_name(name)
    if flavor is None:
        installed = sorted(f.name for f in available_flavors())
        raise IntegrityError(
            f"model flavor {name!r} is not available here; installed: {installed}. "
            f"Flavors come from packages declaring entry points in the group "
            f"{plugins.family('flavor').group!r} (reinstall the package that provides "
            f"{name!r}){_broken_hint()}"
        )
    return flavor.load(wrapper, read)


def refresh_installed() -> None:
    """Forget the entry-point flavors found so far; the next need looks again. For a
    package that became importable after the first look (``pip install`` in a running
    kernel, a test that puts one on ``sys.path``)."""
    global _DISCOVERED
    with _LOCK:
        _INSTALLED.clear()
        _BROKEN.clear()
        _DISCOVERED = False


_reset_discovery = refresh_installed


_builtin(LightGBMBoosterFlavor())
_builtin(LightGBMSklearnFlavor())
