"""Bad input gets a typed error naming the block, the column and the expected type."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from jupyter_bighead.errors import BlockInputError, IncompatibleFormat, InvalidSpec, UnknownBlock
from jupyter_bighead.pipeline import DateParts, Standardize
from jupyter_bighead.pipeline.persist import dump_pipeline, load_pipeline


def test_a_missing_column_at_transform_names_block_column_and_type(fitted, frame):
    X, _ = frame
    with pytest.raises(BlockInputError) as info:
        fitted.transform(X.drop(columns=["spend"]))
    err = info.value
    assert isinstance(err, InvalidSpec)
    assert (err.block, err.column) == ("Clip", "spend")
    assert "float64" in err.expected and "'spend'" in str(err) and "Clip" in str(err)
    with pytest.raises(BlockInputError, match="Standardize: column 'a' is missing"):
        Standardize(columns=["a"]).fit(pd.DataFrame({"a": [1.0]})).transform(
            pd.DataFrame({"b": [1.0]}))


def test_a_wrong_dtype_names_block_column_and_type(fitted, frame):
    X, _ = frame
    bad = X.assign(age=["old"] * len(X))
    with pytest.raises(BlockInputError) as info:
        fitted.transform(bad)
    assert (info.value.block, info.value.column) == ("Impute", "age")
    assert "float64" in str(info.value)
    with pytest.raises(BlockInputError, match=r"Standardize: column 'b' has dtype .*expected a "
                                              r"numeric dtype"):
        Standardize(columns=["b"]).fit(pd.DataFrame({"b": ["x", "y"]}))
    with pytest.raises(BlockInputError, match=r"DateParts: column 't'.*expected a datetime64"):
        DateParts(columns=["t"]).fit(pd.DataFrame({"t": [1.5, 2.5]}))


def test_nulls_in_a_column_declared_non_null_are_refused(fitted, frame):
    X, _ = frame
    bad = X.copy()
    bad.loc[3, "signup"] = pd.NaT
    with pytest.raises(BlockInputError) as info:
        fitted.transform(bad)
    assert (info.value.block, info.value.column) == ("DateParts", "signup")
    assert "row 3" in str(info.value) and "non-null" in str(info.value)


def test_text_dates_are_parsed_but_non_dates_are_a_typed_error(fitted, frame):
    X, _ = frame
    row = X.iloc[:1].assign(signup=X["signup"].iloc[:1].dt.strftime("%Y-%m-%dT%H:%M:%S.%f"))
    np.testing.assert_array_equal(fitted.predict_proba(row), fitted.predict_proba(X.iloc[:1]))
    with pytest.raises(BlockInputError, match="DateParts: column 'signup'"):
        fitted.transform(X.iloc[:1].assign(signup="next tuesday"))


def _roundtrip_parts(pipe):
    dumped = dump_pipeline(pipe)
    return json.loads(json.dumps(dumped.wrapper)), dumped.files.__getitem__


def test_a_newer_pipeline_format_is_refused_with_a_typed_error(fitted):
    wrapper, read = _roundtrip_parts(fitted)
    wrapper["pipeline_format"] = 99
    with pytest.raises(IncompatibleFormat, match="pipeline format 99"):
        load_pipeline(wrapper, read)


def test_a_newer_block_state_version_names_the_block(fitted):
    wrapper, read = _roundtrip_parts(fitted)
    wrapper["steps"][4]["state_version"] = 7
    with pytest.raises(IncompatibleFormat, match="block 'CategoryEncode' state version 7"):
        load_pipeline(wrapper, read)


def test_an_unknown_block_at_load_names_the_block_and_its_package(fitted):
    wrapper, read = _roundtrip_parts(fitted)
    wrapper["steps"][0].update(block="FancyImpute", package="acme-blocks",
                               source="entry point acme-blocks")
    with pytest.raises(UnknownBlock) as info:
        load_pipeline(wrapper, read)
    assert "FancyImpute" in str(info.value) and "acme-blocks" in str(info.value)
    assert info.value.details["package"] == "acme-blocks"
