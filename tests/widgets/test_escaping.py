"""Text that reaches an ``HTML`` widget (rendered with ``innerHTML``) is escaped.

Error messages quote feature names, source paths and model names, which come from
catalogs and files other people write: markup in them must show as text, never run.
"""

from __future__ import annotations

from html.parser import HTMLParser

import pandas as pd
import pytest

from jupyter_bighead.features import EventSource, Feature, FeatureRepo
from jupyter_bighead.widgets import FeatureLookup

PAYLOAD = "<img src=x onerror=alert(document.domain)>"


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text += data


def parse(html: str) -> _Tags:
    parser = _Tags()
    parser.feed(html)
    parser.close()
    return parser


@pytest.fixture
def hostile_repo(tmp_path):
    repo = FeatureRepo(tmp_path / "features")
    source = EventSource("clicks", path=str(tmp_path / f"{PAYLOAD}.parquet"),
                         entity="user_id", timestamp="ts")
    repo.apply([Feature("clicks_count", source, agg="count", window="7d")])
    return repo


def test_a_markup_source_path_in_a_preview_error_shows_as_text(hostile_repo):
    spine = pd.DataFrame({"user_id": [1, 2], "ts": pd.to_datetime(["2024-01-02", "2024-01-03"])})
    widget = FeatureLookup(hostile_repo, spine=spine, entity="user_id", timestamp="ts")
    widget.choices.value = ("clicks_count",)

    widget._on_preview()  # the source file does not exist: the error quotes its path

    shown = parse(widget.status.value)
    assert shown.tags == ["span"]  # no <img>: the payload is text
    assert PAYLOAD in shown.text and "does not exist" in shown.text

