"""Names, versions, offsets and cursors: strict, ASCII-only, bounded (no trailing newline,
no integer a store cannot hold), always an InvalidSpec rather than a crash."""

from __future__ import annotations

import pytest

from jupyter_bighead.errors import InvalidSpec
from jupyter_bighead.registry.names import (
    MAX_OFFSET,
    MAX_VERSION,
    check_alias,
    check_name,
    check_page,
    check_version,
    decode_cursor,
    encode_cursor,
    feature_refs,
)
from jupyter_bighead.serving.deploy import DeploymentStore


@pytest.mark.parametrize("check,value", [
    (check_name, "demo_model\n"), (check_alias, "prod\n"),
    (lambda v: feature_refs([v]), "views_7d_count@1\n"),
])
def test_validators_refuse_a_trailing_newline(check, value):
    check(value.rstrip("\n"))  # the same value without it is fine
    with pytest.raises(InvalidSpec):
        check(value)


def test_deployment_ids_refuse_a_trailing_newline(tmp_path):
    with pytest.raises(InvalidSpec):
        DeploymentStore(tmp_path).folder("churn-abc\n")


@pytest.mark.parametrize("value", [1.9, "1.9", "99999999999999999999", 10**20, MAX_VERSION + 1,
                                   "٣", "\uff13", float("inf"), float("nan"), True, None, [1],
                                   "", "-1", 0])
def test_versions_are_whole_ascii_numbers_a_store_can_hold(value):
    with pytest.raises(InvalidSpec):
        check_version(value)


@pytest.mark.parametrize("value,expected", [(3, 3), ("3", 3), (2.0, 2), (MAX_VERSION, MAX_VERSION)])
def test_whole_versions_are_accepted(value, expected):
    assert check_version(value) == expected


@pytest.mark.parametrize("cursor", ["WzFd", "bnVsbA", "MQ", "!!!", "x" * 5000, "eyJhIjo"])
def test_cursors_that_we_did_not_make_are_invalid_spec(cursor):
    with pytest.raises(InvalidSpec, match="invalid page cursor"):
        decode_cursor(cursor)
    assert decode_cursor(encode_cursor({"after": "m"})) == {"after": "m"}


def test_offsets_beyond_what_a_store_holds_are_refused():
    assert check_page(10, MAX_OFFSET) == (10, MAX_OFFSET)
    with pytest.raises(InvalidSpec):
        check_page(10, 10**20)
