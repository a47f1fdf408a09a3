"""The registry store contract: a :class:`~jupyter_bighead.registry.Registry` over the
store behaves the same whatever the store.

Subclass :class:`RegistryStoreContract` and override ``store_uri`` (a fresh, empty
store's URI; its scheme selects the store class through :mod:`jupyter_bighead.plugins`)
and, if the store takes any, ``store_options``. The suite registers small LightGBM
models, so it needs lightgbm and scikit-learn (dependencies of jupyter-bighead). Writers
race from threads, from other processes when the store declares ``shared``, and alias
moves must form one audited chain when it declares ``transactions``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ..errors import Conflict, InvalidSpec, NotFound
from ..registry import Registry
from ..registry.store import Store, open_store, store_scheme
from ._common import check_capabilities, check_registered
from ._concurrency import ConcurrencyChecks
from ._registry import _models, open_registry


class RegistryStoreContract(ConcurrencyChecks):
    """Versions, aliases, audit, paging, integrity and garbage collection, as every
    registry store must keep them."""

    @pytest.fixture
    def store_uri(self, tmp_path: Path) -> str:
        """A fresh, empty store's URI: override in the subclass."""
        raise NotImplementedError("override the `store_uri` fixture in your "
                                  "RegistryStoreContract")

    @pytest.fixture
    def store_options(self) -> dict[str, Any]:
        """Keyword options for the store (``c.BigheadApp.registry_store_options``)."""
        return {}

    @pytest.fixture
    def artifacts_dir(self, tmp_path: Path) -> Path:
        return tmp_path / "artifacts"

    @pytest.fixture
    def reg(self, store_uri: str, store_options: dict[str, Any], artifacts_dir: Path
            ) -> Iterator[Registry]:
        registry = open_registry(store_uri, artifacts_dir, store_options)
        yield registry
        registry.close()

    @pytest.fixture
    def data(self) -> Any:
        return _models()["data"]

    @pytest.fixture
    def classifier(self) -> Any:
        return _models()["classifier"]

    @pytest.fixture
    def regressor(self) -> Any:
        return _models()["regressor"]

    @pytest.fixture
    def booster(self) -> Any:
        return _models()["booster"]

    # -- the store as a plugin ---------------------------------------------------------
    @pytest.fixture
    def plugin_name(self, store_uri: str) -> str:
        """The name the store is registered under: the scheme of ``store_uri``."""
        return store_scheme(store_uri)

    def test_its_scheme_selects_it_and_it_declares_known_capabilities(self, reg, plugin_name):
        assert isinstance(reg.store, Store)
        check_registered("registry_store", plugin_name, type(reg.store))
        check_capabilities("registry_store", reg.store)

    def test_options_it_does_not_take_are_refused_by_name(self, store_uri, store_options):
        with pytest.raises(InvalidSpec, match="no_such_option"):
            open_store(store_uri, **store_options, no_such_option=1)

    def test_a_reopened_store_sees_what_was_written(self, reg, booster, store_uri,
                                                    store_options, artifacts_dir):
        reg.register("m", booster)
        reg.register("m", booster)
        reg.set_alias("m", "production", 2, user="ann")
        again = open_registry(store_uri, artifacts_dir, store_options)
        try:
            assert [v.version for v in again.versions("m")] == [2, 1]
            assert again.aliases("m") == {"production": 2}
            assert again.get("m", 1) == reg.get("m", 1)
            assert again.register("m", booster).version == 3
        finally:
            again.close()

    # -- the registry over it ------------------------------------------------------------
    def test_versions_are_numbered_from_one_per_name(self, reg, classifier, booster):
        assert [reg.register("m", classifier).version for _ in range(3)] == [1, 2, 3]
        mv = reg.register("other", booster)
        assert (mv.name, mv.version) == ("other", 1)

    def test_register_records_params_metrics_features_schema_dataset_and_lineage(
            self, reg, classifier, data):
        X, y = data
        mv = reg.register("booking_model", classifier, X_valid=X, y_valid=y,
                          params={"note": "first"}, tags={"team": "growth"},
                          features=["bookings_7d_sum:1", "views_30d:2"], description="baseline")
        assert mv.params["note"] == "first" and mv.params["n_estimators"] == 15
        assert 0.5 < mv.metrics["roc_auc"] <= 1.0
        assert {"pr_auc", "log_loss", "brier", "f1_at_05", "f1_at_best_f1"} <= set(mv.metrics)
        assert mv.tags == {"team": "growth"}
        assert mv.features == ("bookings_7d_sum@1", "views_30d@2")
        assert mv.input_schema == tuple((c, "float64") for c in "abcd")
        assert mv.dataset["rows"] == 600 and mv.dataset["columns"] == list("abcd")
        assert len(mv.dataset["sha256"]) == 64
        assert mv.lineage["python"].count(".") == 2
        assert mv.lineage["packages"]["lightgbm"]
        assert mv.created_by and mv.created_at.endswith("Z")
        assert mv.flavor == "lightgbm.sklearn" and mv.model_class == "lightgbm.LGBMClassifier"
        assert mv.task == "binary" and mv.description == "baseline"
        assert {a.path for a in mv.artifacts} == {"bighead_model.json", "model.txt",
                                                  "reference_profile.json"}
        assert reg.get("booking_model", 1) == mv
        json.dumps(mv.to_dict())

    def test_load_by_version_alias_or_latest_predicts_bit_for_bit(self, reg, classifier,
                                                                  booster, data):
        X, _ = data
        reg.register("m", booster)
        reg.register("m", classifier)
        reg.set_alias("m", "production", 1)
        by_alias = reg.load("m", alias="production")
        assert np.array_equal(by_alias.predict(X), booster.predict(X))
        latest = reg.load("m")
        assert np.array_equal(latest.predict_proba(X), classifier.predict_proba(X))
        assert np.array_equal(reg.load("m", version=2).predict(X), classifier.predict(X))

    def test_evaluation_report_is_stored_with_the_version(self, reg, regressor, data):
        X, _ = data
        y = X["a"] * 2 + X["c"]
        reg.register("reg", regressor, X_valid=X, y_valid=y)
        report = reg.evaluation("reg", 1)
        assert report.task == "regression" and report.metrics["rmse"] >= 0
        assert report.residuals["sampled_from"] == 600
        assert reg.register("reg", regressor).version == 2
        assert reg.evaluation("reg", 2) is None

    def test_unknown_name_version_or_alias_is_not_found(self, reg, booster):
        with pytest.raises(NotFound):
            reg.get("nope", 1)
        with pytest.raises(NotFound):
            reg.load("nope")
        reg.register("m", booster)
        with pytest.raises(NotFound):
            reg.get("m", 2)
        with pytest.raises(NotFound):
            reg.load("m", alias="production")
        with pytest.raises(NotFound):
            reg.set_alias("m", "production", 5)
        with pytest.raises(NotFound):
            reg.versions("nope")
        with pytest.raises(NotFound):
            reg.delete_alias("m", "production")

    @pytest.mark.parametrize("bad", ["../evil", "a/b", "a\\b", "", ".hidden", "x" * 129, "a b",
                                     "é", "a..b", "/abs", 7])
    def test_names_with_separators_or_illegal_characters_are_invalid(self, reg, booster, bad):
        with pytest.raises(InvalidSpec):
            reg.register(bad, booster)
        with pytest.raises(InvalidSpec):
            reg.get(bad, 1)

    def test_bad_aliases_tags_features_and_versions_are_invalid(self, reg, booster):
        reg.register("m", booster)
        for alias in ["1", "a/b", "", "-x"]:
            with pytest.raises(InvalidSpec):
                reg.set_alias("m", alias, 1)
        with pytest.raises(InvalidSpec):
            reg.set_alias("m", "prod", 0)
        with pytest.raises(InvalidSpec):
            reg.register("m", booster, tags={"a b": "x"})
        with pytest.raises(InvalidSpec):
            reg.register("m", booster, features=["no_version"])
        with pytest.raises(InvalidSpec):
            reg.register("m", booster, metrics={"auc": "high"})
        with pytest.raises(InvalidSpec):
            reg.get("m", 1, alias="prod")

    def test_x_valid_without_y_valid_is_invalid_and_registers_nothing(self, reg, classifier, data):
        X, y = data
        with pytest.raises(InvalidSpec, match="together"):
            reg.register("m", classifier, X_valid=X)
        with pytest.raises(InvalidSpec, match="together"):
            reg.register("m", classifier, y_valid=y)
        with pytest.raises(NotFound):
            reg.model("m")

    def test_non_binary_labels_for_a_classifier_are_invalid(self, reg, classifier, data):
        X, _ = data
        with pytest.raises(InvalidSpec, match="binary"):
            reg.register("m", classifier, X_valid=X, y_valid=np.arange(600) % 3)

    def test_unsupported_model_types_name_what_is_supported(self, reg):
        from sklearn.linear_model import LogisticRegression

        with pytest.raises(InvalidSpec, match=r"LGBMClassifier.*lightgbm\.Booster|Booster.*LGBM"):
            reg.register("m", LogisticRegression())
        with pytest.raises(InvalidSpec, match="cannot store"):
            reg.register("m", object())

    def test_validation_columns_must_match_the_model_features(self, reg, classifier, data):
        X, y = data
        with pytest.raises(InvalidSpec, match="differ"):
            reg.register("m", classifier, X_valid=X.rename(columns={"a": "z"}), y_valid=y)

    def test_tampered_or_missing_artifacts_raise_integrity_error(self, reg, booster):
        from jupyter_bighead.errors import IntegrityError

        reg.register("m", booster)
        reg.register("m", booster)
        folder = reg.artifacts.root / reg.store.get_artifact_dir("m", 1)
        model_txt = folder / "model.txt"
        model_txt.write_text(model_txt.read_text().replace("Tree=0", "Tree=0 "))
        with pytest.raises(IntegrityError, match="modified"):
            reg.load("m", version=1)
        assert reg.wrapper("m", 2)["flavor"] == "lightgbm.booster"  # plain data, verified
        wrapper = reg.artifacts.root / reg.store.get_artifact_dir("m", 2) / "bighead_model.json"
        wrapper.write_bytes(wrapper.read_bytes().replace(b"lightgbm", b"lightGBM"))
        with pytest.raises(IntegrityError, match="modified"):
            reg.wrapper("m", 2)
        wrapper.unlink()
        with pytest.raises(IntegrityError, match="missing"):
            reg.load("m", version=2)
        with pytest.raises(IntegrityError, match="missing"):
            reg.wrapper("m", 2)

    def test_aliases_move_and_every_move_is_audited(self, reg, booster):
        for _ in range(3):
            reg.register("m", booster)
        reg.set_alias("m", "staging", 1, user="ann")
        reg.set_alias("m", "production", 2, user="bob")
        reg.set_alias("m", "production", 3, user="bob")
        assert reg.aliases("m") == {"production": 3, "staging": 1}
        assert reg.get("m", 3).aliases == ("production",)
        assert reg.model("m").aliases == {"production": 3, "staging": 1}
        history = reg.alias_history("m", "production")
        assert [(e.from_version, e.to_version, e.action, e.by) for e in history] == [
            (2, 3, "set", "bob"), (None, 2, "set", "bob")]
        assert reg.alias_history("m").total == 3
        reg.delete_alias("m", "staging")
        assert reg.aliases("m") == {"production": 3}
        assert reg.alias_history("m", "staging")[0].action == "delete"

    def test_rollback_walks_the_alias_back_through_its_history(self, reg, booster):
        for _ in range(3):
            reg.register("m", booster)
        with pytest.raises(NotFound):
            reg.rollback("m", "production")
        for v in (1, 2, 3):
            reg.set_alias("m", "production", v)
        ev = reg.rollback("m", "production")
        assert (ev.from_version, ev.to_version, ev.action) == (3, 2, "rollback")
        assert reg.rollback("m", "production").to_version == 1
        assert reg.aliases("m")["production"] == 1
        ev = reg.rollback("m", "production")  # before the first set there was no alias
        assert ev.to_version is None and "production" not in reg.aliases("m")
        with pytest.raises(Conflict):
            reg.rollback("m", "production")

    def test_versions_page_with_limit_offset_and_cursor(self, reg, booster):
        for _ in range(7):
            reg.register("m", booster)
        everything = reg.versions("m")
        assert [v.version for v in everything] == [7, 6, 5, 4, 3, 2, 1] and everything.total == 7
        page = reg.versions("m", limit=3)
        assert [v.version for v in page] == [7, 6, 5] and page.total == 7
        page = reg.versions("m", limit=3, cursor=page.next_cursor)
        assert [v.version for v in page] == [4, 3, 2]
        page = reg.versions("m", limit=3, cursor=page.next_cursor)
        assert [v.version for v in page] == [1] and page.next_cursor is None
        assert [v.version for v in reg.versions("m", limit=2, offset=5)] == [2, 1]
        with pytest.raises(InvalidSpec):
            reg.versions("m", cursor="garbage!")
        with pytest.raises(InvalidSpec):
            reg.versions("m", limit=0)

    def test_models_page_by_name_with_prefix(self, reg, booster):
        for name in ["b_model", "a_model", "c_model", "a_other"]:
            reg.register(name, booster)
        reg.register("a_model", booster)
        page = reg.models(limit=2)
        assert [m.name for m in page] == ["a_model", "a_other"] and page.total == 4
        assert page[0].latest_version == 2
        page = reg.models(limit=2, cursor=page.next_cursor)
        assert [m.name for m in page] == ["b_model", "c_model"] and page.next_cursor is None
        assert [m.name for m in reg.models(prefix="a_")] == ["a_model", "a_other"]
        assert reg.models(prefix="a_").total == 2
        json.dumps(reg.models().to_dict())

    def test_compare_reports_metric_deltas_and_param_and_feature_differences(self, reg, data):
        import lightgbm as lgb

        X, y = data
        m1 = lgb.LGBMClassifier(n_estimators=5, verbose=-1).fit(X, y)
        m2 = lgb.LGBMClassifier(n_estimators=30, verbose=-1).fit(X, y)
        reg.register("m", m1, X_valid=X, y_valid=y, features=["f:1", "g:1"], params={"x": 1})
        reg.register("m", m2, X_valid=X, y_valid=y, features=["f:2", "h:1"])
        diff = reg.compare("m", 1, 2)
        auc = diff["metrics"]["roc_auc"]
        assert auc["delta"] == pytest.approx(auc["b"] - auc["a"])
        assert diff["params"]["changed"]["n_estimators"] == {"a": 5, "b": 30}
        assert diff["params"]["removed"] == {"x": 1}
        assert diff["features"]["added"] == ["h@1"] and diff["features"]["removed"] == ["g@1"]
        assert diff["features"]["changed"] == [{"feature": "f", "a": "1", "b": "2"}]
        assert diff["dataset"]["same"] is True
        json.dumps(diff)

    def test_garbage_collection_removes_only_unreferenced_artifact_folders(self, reg, booster):
        reg.register("m", booster)
        orphan, _ = reg.artifacts.publish("m", {"x.txt": b"x"})
        assert reg.collect_garbage(older_than_s=3600) == []
        assert reg.collect_garbage(older_than_s=0) == [orphan]
        reg.load("m", version=1)
