"""What every flavor shares: the :class:`Flavor` interface, what it produces
(:class:`Dumped`, :class:`ModelInfo`) and the wrapper file's name and format."""

from __future__ import annotations

import abc
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

#: The wrapper format this code writes; it reads any format up to this one.
FORMAT = 1
WRAPPER = "bighead_model.json"

Reader = Callable[[str], bytes]


@dataclass(frozen=True)
class Dumped:
    """A model as files: relative path to bytes, plus the wrapper's JSON data."""

    files: dict[str, bytes]
    wrapper: dict[str, Any]

    def digest(self) -> str:
        """A content hash of the model: its files and wrapper data (the same model
        dumped twice gives the same digest)."""
        import hashlib
        import json

        h = hashlib.sha256(json.dumps(self.wrapper, sort_keys=True, default=str).encode())
        for name in sorted(self.files):
            h.update(b"\0" + name.encode() + b"\0" + len(self.files[name]).to_bytes(8, "big"))
            h.update(self.files[name])
        return h.hexdigest()


@dataclass(frozen=True)
class ModelInfo:
    """What the registry records about a model without loading its files again."""

    flavor: str
    model_class: str
    task: str  # "binary", "multiclass", "regression", "ranking" or "unknown"
    feature_names: tuple[str, ...]
    params: dict[str, Any] = field(default_factory=dict)


class Flavor(abc.ABC):
    """One kind of storable model."""

    #: Stable identifier written into the wrapper, e.g. ``"lightgbm.booster"``.
    name: str
    #: Human-readable list of the types it stores, for error messages.
    handles_description: str

    @abc.abstractmethod
    def handles(self, model: Any) -> bool:
        """Whether this flavor can store ``model``; must not import heavy packages
        unless ``model`` already comes from them."""

    @abc.abstractmethod
    def info(self, model: Any) -> ModelInfo:
        """Describe ``model`` for the registry's records."""

    @abc.abstractmethod
    def dump(self, model: Any, prefix: str) -> Dumped:
        """Files (paths starting with ``prefix``) and wrapper data for ``model``."""

    @abc.abstractmethod
    def load(self, wrapper: Mapping[str, Any], read: Reader) -> Any:
        """Rebuild the model from its wrapper; ``read(path)`` returns verified bytes."""


def wrapper_bytes(wrapper: Mapping[str, Any]) -> bytes:
    """The wrapper as the bytes written to :data:`WRAPPER`."""
    return json.dumps(wrapper, indent=1, sort_keys=True).encode("utf-8")


#: The name the pipeline package's flavor stores pipelines under (a name, not an
#: import: the flavor itself comes from ``jupyter_bighead.pipeline.flavor`` through the
#: ``jupyter_bighead.flavors`` entry point).
PIPELINE_FLAVOR = "bighead.pipeline"
