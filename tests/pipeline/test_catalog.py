"""The block catalog: built-ins, an installed package's entry points, a shared folder."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from jupyter_bighead.errors import UnknownBlock
from jupyter_bighead.pipeline import Pipeline, Standardize, catalog
from jupyter_bighead.registry import Registry

WINSORIZE = '''
from jupyter_bighead.pipeline import Block


class Winsorize(Block):
    """Clip to fixed bounds.

    Bounds are given, not learned.
    """

    owner = "risk-team"

    def __init__(self, columns=None, low: float = -1.0, high: float = 1.0):
        self.columns = columns
        self.low = low
        self.high = high

    def _apply(self, cols):
        import numpy as np

        return {c: np.clip(np.asarray(v, dtype=float), self.low, self.high)
                for c, v in cols.items()}
'''

DOUBLER = '''
import numpy as np

from jupyter_bighead.pipeline import Block


class Doubler(Block):
    """Multiply by a learned factor (twice the mean)."""

    def __init__(self, columns=None):
        self.columns = columns

    def _fit(self, cols, y):
        self.factor_ = np.asarray([2.0 * np.nanmean(v) for v in cols.values()])

    def _apply(self, cols):
        return {c: np.asarray(v, dtype=float) * self.factor_[self.columns_.index(c)]
                for c, v in cols.items()}
'''


@pytest.fixture
def acme_package(tmp_path, monkeypatch):
    """A package installed the way pip would: module plus a dist-info with entry points."""
    site = tmp_path / "site"
    (site / "acme_blocks").mkdir(parents=True)
    (site / "acme_blocks" / "__init__.py").write_text(WINSORIZE)
    info = site / "acme_blocks-1.2.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-blocks\nVersion: 1.2.0\n"
                                   "Author: Acme Data\n")
    (info / "entry_points.txt").write_text(
        "[jupyter_bighead.blocks]\nWinsorize = acme_blocks:Winsorize\n")
    monkeypatch.syspath_prepend(str(site))
    return site


@pytest.fixture
def block_folder(tmp_path, monkeypatch):
    folder = tmp_path / "shared-blocks"
    folder.mkdir()
    (folder / "team_blocks.py").write_text(DOUBLER)
    (folder / "broken.py").write_text("raise RuntimeError('half-written module')\n")
    monkeypatch.delenv(catalog.ENV, raising=False)
    monkeypatch.setattr(catalog, "_CONFIGURED", [])
    return folder


def _by_name(entries):
    return {e["name"]: e for e in entries}


def test_builtins_are_listed_with_summary_parameters_resources_and_a_snippet():
    entries = _by_name(catalog.list_blocks(block_paths=[]))
    impute = entries["Impute"]
    assert impute["source"] == "builtin" and impute["error"] is None
    assert impute["summary"].startswith("Fill missing values")
    params = {p["name"]: p for p in impute["parameters"]}
    assert params["strategy"] == {"name": "strategy", "type": "str", "required": False,
                                  "default": "mean"}
    assert impute["resources"] == {"cpu": "1", "memory": "1Gi", "gpu": 0}
    assert entries["ImageResize"]["resources"]["memory"] == "4Gi"
    namespace: dict = {}
    exec(impute["snippet"].replace("columns=[...]", "columns=['a']"), namespace)
    assert namespace["impute"].get_params()["strategy"] == "mean"
    assert {"FeatureLookup", "DateParts", "Select", "Drop"} <= set(entries)


def test_a_block_from_an_installed_package_is_found_through_its_entry_point(acme_package):
    entry = _by_name(catalog.list_blocks(block_paths=[]))["Winsorize"]
    assert entry["source"] == "entry point acme-blocks" and entry["error"] is None
    assert entry["owner"] == "risk-team" and entry["summary"] == "Clip to fixed bounds."
    assert "from acme_blocks import Winsorize" in entry["snippet"]
    assert [p["name"] for p in entry["parameters"]] == ["columns", "low", "high"]
    assert catalog.get_block("Winsorize").__module__ == "acme_blocks"


def test_a_block_from_a_shared_folder_is_listed_and_a_broken_module_is_reported(block_folder):
    entries = catalog.list_blocks(block_paths=[str(block_folder)])
    names = _by_name(entries)
    assert names["Doubler"]["source"] == f"folder {block_folder}"
    assert names["Doubler"]["error"] is None
    assert "get_block('Doubler')" in names["Doubler"]["snippet"]
    assert "half-written module" in names["broken"]["error"]
    assert "Doubler" not in _by_name(catalog.list_blocks(block_paths=[]))


def test_pipelines_with_package_and_folder_blocks_store_and_load(acme_package, block_folder,
                                                                 tmp_path, monkeypatch):
    import lightgbm as lgb

    monkeypatch.setenv(catalog.ENV, str(block_folder))
    Winsorize = catalog.get_block("Winsorize")
    Doubler = catalog.get_block("Doubler")
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=400), "b": rng.normal(size=400)})
    y = (X.a + X.b > 0).astype(int)
    pipe = Pipeline([Winsorize(columns=["a"], low=-0.5), Doubler(columns=["b"]),
                     Standardize()], learner=lgb.LGBMClassifier(n_estimators=10, verbose=-1))
    pipe.fit(X, y)
    reg = Registry(str(tmp_path / "reg"))
    reg.register("custom", pipe)
    loaded = reg.load("custom")
    np.testing.assert_array_equal(loaded.predict_proba(X), pipe.predict_proba(X))
    assert loaded.steps[0].low == -0.5

    monkeypatch.delenv(catalog.ENV)  # the folder is no longer shared here
    with pytest.raises(UnknownBlock, match=r"'Doubler'.*folder"):
        reg.load("custom")


def test_a_block_outside_the_catalog_cannot_be_registered(tmp_path):
    import lightgbm as lgb

    from jupyter_bighead.pipeline import Block

    class Local(Block):
        def __init__(self, columns=None):
            self.columns = columns

        def _apply(self, cols):
            return dict(cols)

    X = pd.DataFrame({"a": np.arange(50.0)})
    pipe = Pipeline([Local()], learner=lgb.LGBMRegressor(n_estimators=2, verbose=-1))
    pipe.fit(X, X.a)
    reg = Registry(str(tmp_path / "reg"))
    with pytest.raises(ValueError, match="register_block"):
        reg.register("local", pipe)
    catalog.register_block(Local)
    try:
        reg.register("local", pipe)
        np.testing.assert_array_equal(reg.load("local").predict(X), pipe.predict(X))
    finally:
        catalog._REGISTERED.pop("Local")
