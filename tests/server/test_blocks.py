"""/bighead/api/blocks through a real server, with a block folder configured."""

from __future__ import annotations

import json
import os

import pytest

from jupyter_bighead.config import BLOCK_PATHS_ENV

FOLDER_BLOCK = '''
"""Team blocks."""
from jupyter_bighead.pipeline import Block


class Winsorize(Block):
    """Cap values at fixed bounds (the pricing team's block)."""

    owner = "pricing-team"

    def __init__(self, columns=None, low: float = 0.0, high: float = 1.0):
        self.columns = columns
        self.low = low
        self.high = high
'''


@pytest.fixture
def block_folder(tmp_path, monkeypatch):
    folder = tmp_path / "team-blocks"
    folder.mkdir()
    (folder / "pricing.py").write_text(FOLDER_BLOCK)
    (folder / "broken.py").write_text("import not_a_module_anywhere\n")
    monkeypatch.delenv(BLOCK_PATHS_ENV, raising=False)  # the server sets it for kernels
    return folder


@pytest.fixture
def jp_server_config(bighead_home, block_folder):
    return {
        "ServerApp": {"jpserver_extensions": {"jupyter_bighead_server": True}},
        "BigheadApp": {"home": str(bighead_home), "block_paths": [str(block_folder)]},
    }


async def test_catalog_lists_builtin_and_folder_blocks_and_reports_broken_modules(
        jp_fetch, block_folder):
    body = json.loads((await jp_fetch("bighead", "api", "blocks")).body)
    by_name = {b["name"]: b for b in body["blocks"]}
    for builtin in ("Impute", "Standardize", "CategoryEncode", "FeatureLookup", "ImageResize"):
        assert by_name[builtin]["source"] == "builtin"
    impute = by_name["Impute"]
    assert impute["summary"] and "Impute(" in impute["snippet"]
    assert any(p["name"] == "strategy" for p in impute["parameters"])

    team = by_name["Winsorize"]
    assert team["source"] == f"folder {block_folder.resolve()}"
    assert team["owner"] == "pricing-team"
    assert team["summary"] == "Cap values at fixed bounds (the pricing team's block)."
    assert [(p["name"], p["default"]) for p in team["parameters"]][-2:] == [
        ("low", 0.0), ("high", 1.0)]

    [broken] = body["errors"]
    assert "not_a_module_anywhere" in broken["message"]
    # Kernels the server starts see the same folders.
    assert str(block_folder.resolve()) in os.environ[BLOCK_PATHS_ENV].split(os.pathsep)


async def test_search_filters_by_name_owner_or_source(jp_fetch):
    body = json.loads((await jp_fetch("bighead", "api", "blocks", params={"search": "pricing"})
                       ).body)
    assert [b["name"] for b in body["blocks"]] == ["Winsorize"]
    body = json.loads((await jp_fetch("bighead", "api", "blocks", params={"search": "impute"})
                       ).body)
    assert [b["name"] for b in body["blocks"]] == ["Impute"]
