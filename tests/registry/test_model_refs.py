"""A model reference (``m``, ``m:1``, ``m@prod``) works wherever the registry reads a
version, as on the command line and in a job; it must agree with an explicit
version or alias."""

from __future__ import annotations

import numpy as np
import pytest

from jupyter_bighead.errors import InvalidSpec, NotFound
from jupyter_bighead.registry import Registry


@pytest.fixture
def two_versions(tmp_path, classifier, data):
    X, y = data
    reg = Registry(tmp_path / "reg")
    reg.register("churn", classifier, X_valid=X, y_valid=y)
    reg.register("churn", classifier)
    reg.set_alias("churn", "prod", 1)
    yield reg
    reg.close()


def test_get_load_evaluation_and_wrapper_take_a_reference(two_versions, classifier, data):
    reg, (X, _) = two_versions, data
    assert reg.get("churn:1").version == 1
    assert reg.get("churn@prod").version == 1
    assert reg.get("churn").version == 2
    assert reg.get(" churn:2 ").version == 2
    assert np.array_equal(reg.load("churn@prod").predict(X), classifier.predict(X))
    assert reg.evaluation("churn:1") is not None and reg.evaluation("churn@prod") is not None
    assert reg.evaluation("churn:2") is None
    assert reg.wrapper("churn:1") == reg.wrapper("churn", 1)


def test_a_reference_must_agree_with_an_explicit_version_or_alias(two_versions):
    reg = two_versions
    assert reg.get("churn:1", 1).version == 1
    assert reg.get("churn@prod", alias="prod").version == 1
    assert reg.get("churn", 2).version == 2  # a bare name is a name
    for args, kwargs in [(("churn:1", 2), {}), (("churn:1",), {"alias": "prod"}),
                         (("churn@prod", 1), {}), (("churn@prod",), {"alias": "dev"})]:
        with pytest.raises(InvalidSpec, match="disagrees"):
            reg.get(*args, **kwargs)
    with pytest.raises(InvalidSpec, match="churn:3"):
        reg.load("churn@3")  # '@' selects an alias
    with pytest.raises(NotFound, match="no alias 'dev'"):
        reg.load("churn@dev")
    with pytest.raises(NotFound):
        reg.get("churn:9")


def test_the_facade_load_takes_a_reference(tmp_path, monkeypatch, classifier, data):
    import jupyter_bighead as bh

    X, _ = data
    monkeypatch.setenv("BIGHEAD_HOME", str(tmp_path / "home"))
    bh.register("churn", classifier, alias="prod")
    assert np.array_equal(bh.load("churn:1").predict(X), classifier.predict(X))
    assert np.array_equal(bh.load("churn@prod").predict(X), classifier.predict(X))


def test_name_only_methods_say_a_reference_is_not_a_name(two_versions):
    reg = two_versions
    for call in (lambda: reg.model("churn@prod"), lambda: reg.versions("churn:1"),
                 lambda: reg.aliases("churn:1")):
        with pytest.raises(InvalidSpec, match=r"that is a reference.*'churn'"):
            call()
    with pytest.raises(InvalidSpec, match="use 1-128 letters"):
        reg.model("../x")


def test_compare_shows_feature_references_in_the_stored_form_like_the_record(tmp_path,
                                                                            classifier):
    # Views keep the stored name@N, as the version's record (REST "features") does; the
    # RegistryStoreContract pins the same.
    reg = Registry(tmp_path / "reg")
    reg.register("churn", classifier, features=["b_cnt:1", "v_sum:2", "old:1"])
    reg.register("churn", classifier, features=["b_cnt:1", "v_sum:3", "new:4"])
    assert reg.get("churn:1").features == ("b_cnt@1", "v_sum@2", "old@1")
    diff = reg.compare("churn", 1, 2)["features"]
    assert diff == {"added": ["new@4"], "removed": ["old@1"], "unchanged": ["b_cnt@1"],
                    "changed": [{"feature": "v_sum", "a": "2", "b": "3"}]}
    reg.close()
