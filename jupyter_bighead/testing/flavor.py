"""The flavor contract: a model of the flavor's kind is stored without pickling, loaded
back predicting the same, and kept in a registry like any other.

Subclass :class:`FlavorContract` and override ``flavor_model``: a fitted model your
flavor stores; override ``flavor_input`` (default: a DataFrame of the model's
``feature_names_in_`` columns) if it predicts from something else. The flavor must be
installed (a ``jupyter_bighead.flavors`` entry point, or
:func:`~jupyter_bighead.models.register_flavor`).
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from ..models import (
    WRAPPER,
    Flavor,
    ModelInfo,
    available_flavors,
    dump_model,
    flavor_for,
    load_model,
)
from ..registry import Registry
from ._common import check_capabilities, check_registered, entry_point_name

TASKS = ("binary", "multiclass", "regression", "ranking", "unknown")


def _predict(model: Any, X: Any) -> np.ndarray:
    return np.asarray(model.predict(X))


class FlavorContract:
    """Describe, dump, load and register, as every flavor must."""

    @pytest.fixture
    def flavor_model(self) -> Any:
        """A fitted model the flavor under test stores: override in the subclass."""
        raise NotImplementedError("override the `flavor_model` fixture in your FlavorContract")

    @pytest.fixture
    def flavor_input(self, flavor_model: Any) -> Any:
        """Rows to predict: by default 50 rows of random numbers over the model's
        ``feature_names_in_``."""
        import pandas as pd

        names = [str(n) for n in getattr(flavor_model, "feature_names_in_", [])]
        if not names:
            pytest.fail("the model has no feature_names_in_: override `flavor_input`")
        rng = np.random.default_rng(17)
        return pd.DataFrame({n: rng.normal(size=50) for n in names})

    @pytest.fixture
    def flavor(self, flavor_model: Any) -> Flavor:
        return flavor_for(flavor_model)

    @pytest.fixture
    def plugin_name(self, flavor: Flavor) -> str | None:
        """The entry-point name that installs the flavor (``jupyter_bighead.flavors``);
        ``None`` for a built-in flavor or one added with ``register_flavor``. Default:
        the entry point whose object is the flavor's class, if one is."""
        return entry_point_name("flavor", type(flavor))

    # -- the contract ----------------------------------------------------------------
    def test_it_is_installed_handles_the_model_and_declares_known_capabilities(
            self, flavor, flavor_model, plugin_name):
        assert isinstance(flavor, Flavor)
        check_registered("flavor", plugin_name, type(flavor))
        assert isinstance(flavor.name, str) and flavor.name
        assert flavor.name in [f.name for f in available_flavors()]
        assert flavor.handles(flavor_model)
        assert not flavor.handles(object())
        assert isinstance(flavor.handles_description, str) and flavor.handles_description
        check_capabilities("flavor", flavor)

    def test_info_describes_the_model_as_plain_data(self, flavor, flavor_model):
        info = flavor.info(flavor_model)
        assert isinstance(info, ModelInfo) and info.flavor == flavor.name
        assert info.task in TASKS and isinstance(info.model_class, str) and info.model_class
        assert all(isinstance(n, str) for n in info.feature_names)
        json.dumps(info.params)

    def test_a_dumped_model_loads_back_predicting_the_same(self, flavor, flavor_model,
                                                           flavor_input):
        dumped = dump_model(flavor_model, "sub/")
        assert dumped.wrapper["flavor"] == flavor.name
        assert dumped.files and all(p.startswith("sub/") and p != WRAPPER for p in dumped.files)
        assert not any(data.startswith(b"\x80") for data in dumped.files.values()), "pickled"
        wrapper = json.loads(json.dumps(dumped.wrapper))  # plain JSON all the way
        read_paths: list[str] = []

        def read(path: str) -> bytes:
            read_paths.append(path)
            return dumped.files[path]

        loaded = load_model(wrapper, read)
        assert read_paths, "the flavor must read its files through `read` (verified bytes)"
        np.testing.assert_array_equal(_predict(loaded, flavor_input),
                                      _predict(flavor_model, flavor_input))

    def test_a_registry_stores_it_and_gives_it_back(self, flavor, flavor_model, flavor_input,
                                                    tmp_path):
        reg = Registry(tmp_path / "registry")
        try:
            mv = reg.register("contract_model", flavor_model)
            assert (mv.version, mv.flavor) == (1, flavor.name)
            assert reg.wrapper("contract_model", 1)["flavor"] == flavor.name
            np.testing.assert_array_equal(_predict(reg.load("contract_model"), flavor_input),
                                          _predict(flavor_model, flavor_input))
        finally:
            reg.close()
