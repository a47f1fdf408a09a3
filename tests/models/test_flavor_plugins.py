"""Model flavors come from the built-ins, register_flavor and the ``jupyter_bighead.flavors``
entry points; the pipeline's own flavor is installed through that entry point."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import pytest

from jupyter_bighead import plugins
from jupyter_bighead.errors import IntegrityError, InvalidSpec
from jupyter_bighead.models import (
    Dumped,
    Flavor,
    ModelInfo,
    available_flavors,
    dump_model,
    load_model,
)
from jupyter_bighead.models import flavors as F


class Box:
    def __init__(self, value: int) -> None:
        self.value = value


class BoxFlavor(Flavor):
    name = "test.box"
    handles_description = "tests.Box"

    def handles(self, model: Any) -> bool:
        return isinstance(model, Box)

    def info(self, model: Any) -> ModelInfo:
        return ModelInfo(self.name, "tests.Box", "unknown", ())

    def dump(self, model: Any, prefix: str) -> Dumped:
        return Dumped({f"{prefix}box.json": json.dumps(model.value).encode()},
                      {"file": f"{prefix}box.json"})

    def load(self, wrapper: Mapping[str, Any], read: Any) -> Any:
        return Box(json.loads(read(wrapper["file"])))


class FakeEntryPoint:
    def __init__(self, name: str, obj: Any = None, error: Exception | None = None) -> None:
        self.name, self.value, self.module = name, f"thirdparty:{name}", "thirdparty"
        self.dist = None
        self._obj, self._error = obj, error

    def load(self) -> Any:
        if self._error is not None:
            raise self._error
        return self._obj


@pytest.fixture
def entry_points(monkeypatch):
    """Replace the installed ``jupyter_bighead.flavors`` entry points with a list."""
    installed: list[FakeEntryPoint] = []
    real = plugins._entry_points
    monkeypatch.setattr(plugins, "_entry_points", lambda group: installed
                        if group == "jupyter_bighead.flavors" else real(group))
    F.refresh_installed()
    yield installed
    F.refresh_installed()


def test_the_pipeline_flavor_is_installed_through_its_entry_point():
    assert "bighead.pipeline" in plugins.names("flavor")
    assert plugins.load("flavor", "bighead.pipeline").__module__ == \
        "jupyter_bighead.pipeline.flavor"
    assert "bighead.pipeline" in [f.name for f in available_flavors()]


def test_a_third_party_flavor_from_an_entry_point_stores_and_loads(entry_points):
    entry_points.append(FakeEntryPoint("test.box", BoxFlavor))
    dumped = dump_model(Box(7), "m/")
    assert dumped.wrapper["flavor"] == "test.box"
    again = load_model(dumped.wrapper, dumped.files.__getitem__)
    assert isinstance(again, Box) and again.value == 7


def test_a_missing_flavor_entry_point_gives_a_clear_error(entry_points):
    with pytest.raises(IntegrityError, match=r"'bighead.pipeline' is not available here.*"
                                              r"'jupyter_bighead.flavors'"):
        load_model({"format": 1, "flavor": "bighead.pipeline"}, lambda path: b"")
    with pytest.raises(InvalidSpec, match=r"cannot store a model of type .*Box"):
        dump_model(Box(1))


def test_a_broken_flavor_entry_point_is_named_and_does_not_break_the_others(entry_points):
    entry_points.append(FakeEntryPoint("test.broken", error=ImportError("no module bad")))
    entry_points.append(FakeEntryPoint("test.notflavor", object()))
    entry_points.append(FakeEntryPoint("test.box", BoxFlavor()))
    assert dump_model(Box(2)).wrapper["flavor"] == "test.box"
    with pytest.raises(IntegrityError, match=r"test.broken .*no module bad.*test.notflavor"):
        load_model({"format": 1, "flavor": "test.gone"}, lambda path: b"")


def test_an_entry_point_cannot_replace_a_built_in_flavor(entry_points):
    class Impostor(BoxFlavor):
        name = "lightgbm.booster"

    entry_points.append(FakeEntryPoint("lightgbm.booster", Impostor))
    assert "tests" not in type(F._by_name("lightgbm.booster")).__module__


def test_a_registered_flavor_wins_over_an_installed_one(entry_points):
    class Mine(BoxFlavor):
        name = "test.mine"

    entry_points.append(FakeEntryPoint("test.box", BoxFlavor))
    F.register_flavor(Mine())
    try:
        assert dump_model(Box(3)).wrapper["flavor"] == "test.mine"
    finally:
        F._REGISTERED.pop("test.mine")


def test_a_pipeline_still_round_trips_through_its_installed_flavor():
    lightgbm = pytest.importorskip("lightgbm")
    from jupyter_bighead.pipeline import Impute, Pipeline

    F.refresh_installed()
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=200), "b": rng.normal(size=200)})
    X.loc[::7, "a"] = np.nan
    y = (X["b"] > 0).astype(int)
    pipe = Pipeline([Impute(columns=["a"])],
                    learner=lightgbm.LGBMClassifier(n_estimators=5, verbose=-1)).fit(X, y)
    dumped = dump_model(pipe)
    assert dumped.wrapper["flavor"] == "bighead.pipeline"
    again = load_model(dumped.wrapper, dumped.files.__getitem__)
    np.testing.assert_array_equal(again.predict_proba(X), pipe.predict_proba(X))
