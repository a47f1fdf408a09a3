"""The pipeline's model flavor: how the registry stores a fitted :class:`Pipeline`.

It is installed the way a third party's flavor is, through the entry point
``bighead.pipeline`` in the group ``jupyter_bighead.flavors`` (see ``pyproject.toml``
and :mod:`jupyter_bighead.models.flavors`), so the models layer never imports the
pipeline package. Each block's params and fitted state are stored as JSON and ``.npy``
arrays, the learner through its own flavor (see :mod:`.persist`).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

from ..models.base import PIPELINE_FLAVOR, Dumped, Flavor, ModelInfo, Reader

__all__ = ["PIPELINE_FLAVOR", "PipelineFlavor"]


class PipelineFlavor(Flavor):
    """``jupyter_bighead.pipeline.Pipeline``: blocks as JSON and arrays, the learner
    through its own flavor."""

    name = PIPELINE_FLAVOR
    handles_description = "jupyter_bighead.pipeline.Pipeline"

    def handles(self, model: Any) -> bool:
        # No import: a model can only be a Pipeline if the pipeline core is loaded.
        core = sys.modules.get("jupyter_bighead.pipeline.core")
        return core is not None and isinstance(model, core.Pipeline)

    def info(self, model: Any) -> ModelInfo:
        import jupyter_bighead.pipeline.persist as persist

        return persist.info(model)

    def dump(self, model: Any, prefix: str) -> Dumped:
        import jupyter_bighead.pipeline.persist as persist

        return persist.dump_pipeline(model, prefix)

    def load(self, wrapper: Mapping[str, Any], read: Reader) -> Any:
        import jupyter_bighead.pipeline.persist as persist

        return persist.load_pipeline(wrapper, read)
