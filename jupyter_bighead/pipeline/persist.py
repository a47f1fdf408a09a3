"""Storing fitted pipelines without pickle.

A pipeline becomes the registry's wrapper JSON plus files:

- per step: the block's catalog name, where it came from (source and package), its
  constructor parameters as JSON and its fitted state (the public ``*_`` attributes):
  JSON values inline, numeric arrays as ``.npy`` files written with
  ``allow_pickle=False``, object arrays as JSON lists;
- the learner through its own model flavor (LightGBM text model) under
  ``learner/``.

The format is versioned twice: :data:`PIPELINE_FORMAT` for the layout and each
block's ``state_version`` for its state. Reading a newer one raises
:class:`~jupyter_bighead.errors.IncompatibleFormat`; a block this installation
does not have raises :class:`~jupyter_bighead.errors.UnknownBlock` naming the block
and its package.
"""

from __future__ import annotations

import inspect
import io
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from ..errors import IncompatibleFormat, IntegrityError, InvalidSpec
from ..models.base import PIPELINE_FLAVOR, Dumped, ModelInfo
from ..models.flavors import dump_model, flavor_for, load_model
from .base import Block
from .core import Pipeline
from .params import _SCALARS, _json_exact, block_params, json_safe

#: The layout this code writes; it reads any format up to this one.
PIPELINE_FORMAT = 1
FLAVOR = PIPELINE_FLAVOR

Reader = Callable[[str], bytes]


def _encode(value: Any, path: str, files: dict[str, bytes], what: str) -> Any:
    """``value`` as JSON, arrays moved to ``files`` (under ``path``)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, _SCALARS):
        return value
    if isinstance(value, np.ndarray):
        if value.dtype.kind == "O":
            items = value.tolist()
            if not _json_exact(items):
                raise InvalidSpec(f"{what}: an object array holding {type(items[0]).__name__} "
                                  "cannot be stored")
            return {"__bh_object_array__": items}
        buf = io.BytesIO()
        np.save(buf, value, allow_pickle=False)
        files[f"{path}.npy"] = buf.getvalue()
        return {"__bh_npy__": f"{path}.npy"}
    if isinstance(value, tuple):
        return {"__bh_tuple__": [_encode(v, f"{path}.{i}", files, what)
                                 for i, v in enumerate(value)]}
    if isinstance(value, list):
        return [_encode(v, f"{path}.{i}", files, what) for i, v in enumerate(value)]
    if isinstance(value, Mapping):
        if not all(isinstance(k, str) for k in value):
            raise InvalidSpec(f"{what}: dictionary keys must be strings")
        return {"__bh_dict__": {k: _encode(v, f"{path}.{_safe(k)}", files, what)
                                for k, v in value.items()}}
    raise InvalidSpec(f"{what}: a {type(value).__name__} cannot be stored; fitted state must "
                      "be JSON data or numpy arrays")


def _safe(key: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in key)[:40] or "_"


def _decode(value: Any, read: Reader) -> Any:
    if isinstance(value, list):
        return [_decode(v, read) for v in value]
    if isinstance(value, dict):
        if "__bh_npy__" in value:
            return np.load(io.BytesIO(read(value["__bh_npy__"])), allow_pickle=False)
        if "__bh_object_array__" in value:
            items = value["__bh_object_array__"]
            arr = np.empty(len(items), dtype=object)
            arr[:] = items
            return arr
        if "__bh_tuple__" in value:
            return tuple(_decode(v, read) for v in value["__bh_tuple__"])
        if "__bh_dict__" in value:
            return {k: _decode(v, read) for k, v in value["__bh_dict__"].items()}
        raise IntegrityError(f"unexpected stored value {sorted(value)[:3]}")
    return value


def _state(obj: Any) -> dict[str, Any]:
    return {k: v for k, v in vars(obj).items() if k.endswith("_") and not k.startswith("_")}


def dump_block(block: Block, prefix: str) -> tuple[dict[str, Any], dict[str, bytes]]:
    """A fitted block as (JSON entry, files)."""
    from .catalog import origin

    found = origin(type(block))
    files: dict[str, bytes] = {}
    state = {k: _encode(v, f"{prefix}{k}", files, f"{block.block_name}.{k}")
             for k, v in _state(block).items()}
    version = None
    if found.source.startswith("entry point") and found.package:
        from importlib import metadata

        try:
            version = metadata.version(found.package)
        except metadata.PackageNotFoundError:
            version = None
    entry = {"block": found.name, "source": found.source, "package": found.package,
             "package_version": version, "state_version": type(block).state_version,
             "params": block_params(block), "state": state}
    return entry, files


def load_block(entry: Mapping[str, Any], read: Reader, step: int) -> Block:
    """Rebuild one step from its entry.

    Raises
    ------
    UnknownBlock
        The block is not in this installation's catalog.
    IncompatibleFormat
        The block's state was written by a newer version of the block.
    """
    from .catalog import get_block

    name = str(entry.get("block"))
    cls = get_block(name, package=entry.get("package"), source=entry.get("source"))
    stored = int(entry.get("state_version", 1))
    if stored > cls.state_version:
        raise IncompatibleFormat(
            f"step {step}: block {name!r} state version {stored} is newer than this "
            f"{name} reads (up to {cls.state_version}); upgrade {entry.get('package')!r}",
            {"block": name, "package": entry.get("package")})
    params = dict(entry.get("params") or {})
    signature = inspect.signature(cls.__init__).parameters
    for key, value in params.items():  # JSON has no tuples: restore them as the default is
        default = signature[key].default if key in signature else None
        if isinstance(default, tuple) and isinstance(value, list):
            params[key] = tuple(value)
    try:
        block = cls(**params)
    except TypeError as exc:
        raise IncompatibleFormat(f"step {step}: block {name!r} no longer accepts the stored "
                                 f"parameters: {exc}", {"block": name}) from exc
    for key, value in (entry.get("state") or {}).items():
        setattr(block, key, _decode(value, read))
    block._after_load()
    return block


def _check_fitted(pipe: Pipeline) -> None:
    if not hasattr(pipe, "input_spec_"):
        raise InvalidSpec("the Pipeline is not fitted: call fit() first")
    if pipe.learner is None:
        raise InvalidSpec("only a pipeline with a learner can be registered")


def dump_pipeline(pipe: Pipeline, prefix: str = "") -> Dumped:
    """Files and wrapper data for a fitted pipeline (see the module docstring)."""
    _check_fitted(pipe)
    files: dict[str, bytes] = {}
    steps = []
    for i, step in enumerate(pipe.steps):
        entry, step_files = dump_block(step, f"{prefix}steps/{i}/")
        steps.append(entry)
        files.update(step_files)
    learner = dump_model(pipe.learner, f"{prefix}learner/")
    files.update(learner.files)
    state = {k: _encode(v, f"{prefix}pipeline/{k}", files, f"Pipeline.{k}")
             for k, v in _state(pipe).items()}
    wrapper = {
        "class": "jupyter_bighead.pipeline.Pipeline",
        "pipeline_format": PIPELINE_FORMAT,
        "steps": steps,
        "learner": learner.wrapper,
        "resource_overrides": json_safe(dict(pipe.resource_overrides or {})),
        "state": state,
        "graph": pipe.describe(),  # for readers that must not load code (the Blocks panel)
    }
    return Dumped(files, wrapper)


def load_pipeline(wrapper: Mapping[str, Any], read: Reader) -> Pipeline:
    """Rebuild a fitted pipeline.

    Raises
    ------
    IncompatibleFormat
        A pipeline format (or block state version) newer than this code reads.
    UnknownBlock
        A step's block is not in the catalog here.
    """
    fmt = wrapper.get("pipeline_format")
    if not isinstance(fmt, int) or isinstance(fmt, bool) or fmt > PIPELINE_FORMAT or fmt < 1:
        raise IncompatibleFormat(
            f"Pipeline: stored pipeline format {fmt!r} is not one this jupyter-bighead reads "
            f"(1 to {PIPELINE_FORMAT}): upgrade jupyter-bighead", {"format": fmt})
    steps = [load_block(entry, read, i) for i, entry in enumerate(wrapper.get("steps", []))]
    learner = load_model(wrapper["learner"], read)
    overrides = wrapper.get("resource_overrides") or None
    pipe = Pipeline(steps, learner=learner, resource_overrides=overrides)
    for key, value in (wrapper.get("state") or {}).items():
        setattr(pipe, key, _decode(value, read))
    return pipe


def info(pipe: Pipeline) -> ModelInfo:
    """What the registry records: the learner's task and params, the raw input columns."""
    _check_fitted(pipe)
    learner = flavor_for(pipe.learner).info(pipe.learner)
    return ModelInfo(
        flavor=FLAVOR,
        model_class="jupyter_bighead.pipeline.Pipeline",
        task=learner.task,
        feature_names=tuple(str(c) for c in pipe.feature_names_in_),
        params={**learner.params, "pipeline_steps": [s.block_name for s in pipe.steps],
                "learner_class": learner.model_class},
    )
