"""One reference syntax: ``name:N`` is a version and ``name@alias`` an alias, for models
and features alike; a feature's old ``name@N`` still works, with a warning."""

from __future__ import annotations

import warnings

import pytest

from jupyter_bighead.errors import InvalidSpec
from jupyter_bighead.refs import (
    format_ref,
    parse_feature_ref,
    parse_model_ref,
    reading_stored_refs,
    stored_feature_ref,
)


def test_model_refs_name_a_version_an_alias_or_the_latest():
    assert parse_model_ref("churn:3") == ("churn", 3, None)
    assert parse_model_ref("churn@production") == ("churn", None, "production")
    assert parse_model_ref(" churn ") == ("churn", None, None)


@pytest.mark.parametrize("bad", ["", "a b", "x:y", "x@", "x:1@prod", "_x", None])
def test_malformed_model_refs_are_refused(bad):
    with pytest.raises(InvalidSpec, match="must look like"):
        parse_model_ref(bad)


def test_a_model_ref_with_digits_after_at_suggests_the_version_form():
    with pytest.raises(InvalidSpec, match="write churn:3 for a version"):
        parse_model_ref("churn@3")


def test_feature_refs_use_the_same_version_syntax_without_a_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert parse_feature_ref("bookings_7d_sum:2") == ("bookings_7d_sum", 2)
        assert parse_feature_ref("bookings_7d_sum") == ("bookings_7d_sum", None)


def test_the_old_feature_form_still_means_a_version_and_warns_at_the_callers_line():
    with pytest.warns(DeprecationWarning, match="write f:2") as caught:
        assert parse_feature_ref("f@2") == ("f", 2)
    assert caught[0].filename == __file__


def test_stored_refs_are_read_quietly():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert parse_feature_ref("f@2", warn=False) == ("f", 2)
        with reading_stored_refs():
            assert parse_feature_ref("f@2") == ("f", 2)
    with pytest.warns(DeprecationWarning):  # the quiet block ended
        parse_feature_ref("f@2")


@pytest.mark.parametrize("bad", ["f@x", "f@0", "f:0", "f:1234567890", "@1", "f@prod", "", 3])
def test_bad_feature_refs_are_refused(bad):
    with pytest.raises(InvalidSpec):
        parse_feature_ref(bad, warn=False)


def test_format_writes_the_canonical_form_and_round_trips():
    assert format_ref("m", 3) == "m:3"
    assert format_ref("m", alias="prod") == "m@prod"
    assert format_ref("m") == "m"
    for ref in ("m:3", "m@prod", "m"):
        assert format_ref(*parse_model_ref(ref)) == ref
    assert stored_feature_ref("f", 2) == "f@2"
    with pytest.raises(InvalidSpec):
        format_ref("m", 1, "prod")


def test_old_import_paths_still_parse():
    from jupyter_bighead.features.spec import split_ref

    assert split_ref("f@3") == ("f", 3)
    assert split_ref("f:3") == ("f", 3)


def test_the_registry_records_either_form_the_same_way():
    from jupyter_bighead.registry.names import feature_refs

    with pytest.warns(DeprecationWarning):
        old = feature_refs(["f@1"])
    assert feature_refs(["f:1"]) == old == ("f@1",)
    with pytest.raises(InvalidSpec, match="expected 'name:version'"):
        feature_refs(["f"])
