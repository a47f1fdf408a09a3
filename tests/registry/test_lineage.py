"""Lineage: git state, production-cell hashes of the source notebook, environment."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from jupyter_bighead.errors import InvalidSpec
from jupyter_bighead.registry.lineage import git_info, notebook_info, production_cells_sha256


def _nb(cells):
    return {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def _code(src, tags=(), outputs=()):
    return {"cell_type": "code", "source": src, "metadata": {"tags": list(tags)},
            "outputs": list(outputs), "execution_count": None}


def test_production_hash_ignores_prototype_cells_outputs_and_markdown():
    base = _nb([_code("import x"), _code("fit()")])
    same = _nb([
        {"cell_type": "markdown", "source": "# notes", "metadata": {}},
        _code(["import x"], outputs=[{"output_type": "stream", "text": "hi"}]),
        _code("df.head()", tags=["prototype"]),
        _code("fit()"),
    ])
    assert production_cells_sha256(base) == production_cells_sha256(same)
    assert production_cells_sha256(base) != production_cells_sha256(_nb([_code("fit()")]))


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_git_commit_and_dirty_flag_of_the_notebooks_repository(tmp_path, reg, booster):
    def git(*args):
        subprocess.run(["git", "-c", "user.email=t@e", "-c", "user.name=t", *args], cwd=tmp_path,
                       check=True, capture_output=True)

    nb = tmp_path / "train.ipynb"
    nb.write_text(json.dumps(_nb([_code("fit()")])))
    git("init", "-q")
    assert git_info(nb)["commit"] is None  # a repository without commits
    git("add", "train.ipynb")
    git("commit", "-qm", "init")
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=tmp_path, capture_output=True,
                          text=True).stdout.strip()
    assert git_info(nb) == {"commit": head, "dirty": False, "root": str(tmp_path.resolve())}
    nb.write_text(json.dumps(_nb([_code("fit(more=True)")])))
    mv = reg.register("m", booster, notebook=nb)
    assert mv.lineage["git"]["commit"] == head and mv.lineage["git"]["dirty"] is True
    assert mv.lineage["notebook"] == {
        "path": str(nb.resolve()),
        "production_cells_sha256": production_cells_sha256(_nb([_code("fit(more=True)")])),
        "production_cells": ["fit(more=True)"],  # kept for the reviewer report's code diff
    }


def test_no_repository_and_no_notebook_are_recorded_as_none(tmp_path, monkeypatch):
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    assert git_info(tmp_path) is None or git_info(tmp_path)["root"] != str(tmp_path)
    assert notebook_info(None) is None
    monkeypatch.setenv("PATH", str(tmp_path))  # no git binary at all
    assert git_info(tmp_path) is None


def test_the_kernels_notebook_is_found_through_jupyter_session_name(tmp_path, monkeypatch):
    nb = tmp_path / "kernel.ipynb"
    nb.write_text(json.dumps(_nb([_code("x = 1")])))
    monkeypatch.setenv("JPY_SESSION_NAME", str(nb))
    assert notebook_info(None)["path"] == str(nb.resolve())


def test_an_unreadable_explicit_notebook_is_invalid(tmp_path):
    with pytest.raises(InvalidSpec):
        notebook_info(tmp_path / "missing.ipynb")
