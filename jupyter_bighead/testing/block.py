"""The block contract: a pipeline block is found by the catalog, behaves as a
scikit-learn transformer, and is stored and loaded back without pickling.

Subclass :class:`BlockContract` and override ``block`` (an unfitted block routed to
columns of ``block_frame``); override ``block_frame`` (a DataFrame, default three float
columns ``a``, ``b``, ``c``) and ``block_target`` if your block needs other input. The
block must be reachable through the catalog (a package's ``jupyter_bighead.blocks``
entry point, a block folder, or :func:`~jupyter_bighead.pipeline.catalog.register_block`).
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
import pytest

from ..pipeline import Block
from ..pipeline.catalog import describe, get_block, origin
from ..pipeline.persist import dump_block, load_block
from ._common import check_capabilities, check_registered, entry_point_name


def _same(a: Any, b: Any) -> None:
    if isinstance(a, pd.DataFrame):
        assert isinstance(b, pd.DataFrame) and list(a.columns) == list(b.columns)
        for name in a.columns:
            _same(a[name].to_numpy(), b[name].to_numpy())
        return
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape
    if a.dtype.kind in "fc":
        np.testing.assert_array_equal(a, b)  # NaN equals NaN here; bits must match
    else:
        assert a.tolist() == b.tolist()


class BlockContract:
    """Catalogued, sklearn-shaped, deterministic and storable, as every block must be."""

    @pytest.fixture
    def block(self) -> Block:
        """An unfitted block routed to columns of ``block_frame``: override."""
        raise NotImplementedError("override the `block` fixture in your BlockContract")

    @pytest.fixture
    def block_frame(self) -> pd.DataFrame:
        rng = np.random.default_rng(11)
        return pd.DataFrame({"a": rng.normal(size=200), "b": rng.normal(size=200) * 10,
                             "c": rng.uniform(size=200)})

    @pytest.fixture
    def block_target(self, block_frame: pd.DataFrame) -> Any:
        return (np.arange(len(block_frame)) % 2).astype(np.int64)

    @pytest.fixture
    def plugin_name(self, block: Block) -> str | None:
        """The entry-point name that installs the block (``jupyter_bighead.blocks``);
        ``None`` for a built-in block (the catalog keeps those). Default: the entry
        point whose object is the block's class, if one is."""
        return entry_point_name("block", type(block))

    # -- the contract ----------------------------------------------------------------
    def test_the_catalog_finds_and_describes_it(self, block, plugin_name):
        assert isinstance(block, Block)
        check_registered("block", plugin_name, type(block))
        entry = origin(type(block))
        assert entry.error is None and get_block(entry.name) is type(block)
        described = describe(entry)
        json.dumps(described)
        assert described["name"] == entry.name and described["error"] is None
        check_capabilities("block", block)

    def test_init_only_stores_its_parameters(self, block):
        from sklearn.base import clone

        assert not [k for k in vars(block) if k.endswith("_") and not k.startswith("_")]
        twin = clone(block)
        assert type(twin) is type(block)
        assert twin.get_params(deep=False).keys() == block.get_params(deep=False).keys()

    def test_fit_returns_it_and_transform_keeps_every_row(self, block, block_frame,
                                                          block_target):
        assert block.fit(block_frame, block_target) is block
        out = block.transform(block_frame)
        assert isinstance(out, pd.DataFrame) and len(out) == len(block_frame)
        assert list(out.index) == list(block_frame.index)
        assert len(block.get_feature_names_out()) == out.shape[1]
        _same(out, block.transform(block_frame))  # deterministic

    def test_a_stored_block_transforms_the_same_after_loading(self, block, block_frame,
                                                              block_target):
        block.fit(block_frame, block_target)
        entry, files = dump_block(block, "steps/0/")
        assert all(path.startswith("steps/0/") for path in files)
        text = json.dumps(entry)
        assert not any(data.startswith(b"\x80") for data in files.values()), "pickled state"
        loaded = load_block(json.loads(text), files.__getitem__, 0)
        assert type(loaded) is type(block)
        _same(block.transform(block_frame), loaded.transform(block_frame))
