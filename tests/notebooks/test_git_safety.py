"""Reading a repository's git state never runs what the repository configures.

``git status`` in a folder runs the repository's ``core.fsmonitor`` command, its clean
filters (for files whose stat data changed) and can run hooks: a shared folder or an
unpacked archive would execute code on Report or Productionize. Each test builds such a
repository, proves plain git runs its commands, then calls the real entry points.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from jupyter_bighead.gitinfo import git_state
from jupyter_bighead.notebooks.productionize import productionize
from jupyter_bighead.notebooks.report import report
from jupyter_bighead.registry.lineage import git_info

from .helpers import code, write_nb

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", "-c", "user.email=t@e", "-c", "user.name=t", *args],
                          cwd=repo, capture_output=True, text=True, check=True)
    return done.stdout.strip()


@pytest.fixture
def hostile(tmp_path):
    """A repository whose config runs ``touch <marker>`` from fsmonitor, a filter and hooks."""
    repo, markers = tmp_path / "repo", tmp_path / "markers"
    repo.mkdir()
    markers.mkdir()
    _git(repo, "init", "-q", ".")
    nb = write_nb(repo / "train.ipynb", [code("x = 1", "parameters"), code("print(x)")])
    (repo / ".gitattributes").write_text("* filter=evil\n")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "init")
    _git(repo, "config", "core.fsmonitor", f"touch {markers}/fsmonitor; false")
    _git(repo, "config", "filter.evil.clean", f"touch {markers}/clean; cat")
    _git(repo, "config", "filter.evil.process", f"touch {markers}/process")
    _git(repo, "config", "filter.evil.required", "true")
    for hook in ("post-index-change", "post-checkout", "pre-commit"):
        script = repo / ".git" / "hooks" / hook
        script.write_text(f"#!/bin/sh\ntouch {markers}/{hook}\n")
        script.chmod(0o755)
    head = _git(repo, "rev-parse", "HEAD")
    return repo, nb, markers, head


def _stat_dirty(path: Path) -> None:
    """Same content, new mtime: git must re-read (and so clean-filter) the file."""
    path.write_bytes(path.read_bytes())


def test_plain_git_status_runs_the_hostile_commands(hostile):
    # The premise of the other tests: without the safeguards these commands do run.
    repo, nb, markers, _head = hostile
    _stat_dirty(nb)
    subprocess.run(["git", "status", "--porcelain"], cwd=repo, capture_output=True)
    assert {p.name for p in markers.iterdir()} >= {"fsmonitor", "process"}


def test_report_and_productionize_run_nothing_a_repository_configures(hostile):
    _repo, nb, markers, head = hostile
    _stat_dirty(nb)
    out = productionize(nb)
    manifest = json.loads(out.manifest.read_text())
    _stat_dirty(nb)
    report(nb, sections=[])
    _stat_dirty(nb)
    info = git_info(nb)
    assert list(markers.iterdir()) == []
    assert manifest["git"]["commit"] == head
    assert info is not None and info["commit"] == head and info["dirty"] is False


def test_the_dirty_flag_still_sees_changes_with_filters_disabled(hostile):
    repo, nb, markers, head = hostile
    assert git_state(nb).dirty is False
    nb.write_text(nb.read_text() + " ")
    state = git_state(nb)
    assert (state.commit, state.dirty, state.root) == (head, True, str(repo.resolve()))
    assert list(markers.iterdir()) == []
