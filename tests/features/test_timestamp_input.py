"""Timestamp strings from callers and requests: ISO 8601, bounded, one-line errors."""

from __future__ import annotations

import time

import pandas as pd
import pytest

from jupyter_bighead.errors import InvalidSpec
from jupyter_bighead.features import FeatureRepo
from jupyter_bighead.features.api import preview
from jupyter_bighead.features.timestamps import MAX_TIMESTAMP_CHARS, parse_timestamp


@pytest.mark.parametrize("text,expected", [
    ("2024-05-01", pd.Timestamp("2024-05-01")),
    ("2024-05-01T12:30", pd.Timestamp("2024-05-01 12:30")),
    ("2024-05-01 12:30:15.123456", pd.Timestamp("2024-05-01 12:30:15.123456")),
    ("2024-05-01T12:00:00Z", pd.Timestamp("2024-05-01T12:00:00", tz="UTC")),
    ("2024-05-01T14:00:00+02:00", pd.Timestamp("2024-05-01T12:00:00", tz="UTC")),
])
def test_iso_dates_and_date_times_parse(text, expected):
    assert parse_timestamp(text) == expected


@pytest.mark.parametrize("text", ["now", "today", "yesterday", "2024", "2024-13-45",
                                  "2024-01-01\n", " 2024-01-01", "1/2/2024", "2024-01-01T25:00",
                                  "٢٠٢٤-01-01", "2024" * 200_000, 20240101])
def test_anything_else_is_invalid_spec_in_one_short_line(text):
    started = time.monotonic()
    with pytest.raises(InvalidSpec, match="'at'") as info:
        parse_timestamp(text)
    assert time.monotonic() - started < 1  # pandas took 30 s on the long string
    assert "\n" not in str(info.value).replace(repr(text)[:42], "")
    assert len(str(info.value)) < 200


def test_the_cap_is_far_above_any_iso_date_time():
    longest = "2024-05-01T12:30:15.123456789+02:00"
    assert len(longest) < MAX_TIMESTAMP_CHARS and parse_timestamp(longest)


def test_preview_and_online_refuse_a_long_string_quickly(tmp_path):
    repo = FeatureRepo(tmp_path / "features")
    for call in (lambda: preview(repo, ["f@1"], [1], "2024" * 200_000),
                 lambda: repo.online([1], ["f@1"], at="2024" * 200_000)):
        started = time.monotonic()
        with pytest.raises(InvalidSpec, match="ISO 8601"):
            call()
        assert time.monotonic() - started < 1
