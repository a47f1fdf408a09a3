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


def test_filters_of_the_users_own_config_keep_working(tmp_path, monkeypatch):
    # git-lfs installs its filter in the user's config: it must keep running, else every
    # stat-dirty LFS file would read as modified. Only the repository's own are off.
    home, repo, ran = tmp_path / "home", tmp_path / "repo", tmp_path / "ran"
    home.mkdir()
    repo.mkdir()
    ran.mkdir()
    (home / ".gitconfig").write_text(
        f'[filter "trusted"]\n\tclean = touch {ran}/trusted; cat\n\trequired = true\n')
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    _git(repo, "init", "-q", ".")
    (repo / "data.txt").write_text("rows\n")
    (repo / "train.py").write_text("x = 1\n")
    (repo / ".gitattributes").write_text("*.txt filter=trusted\n*.py filter=evil\n")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "init")
    _git(repo, "config", "filter.evil.clean", f"touch {ran}/evil; cat")
    for name in ("trusted", "evil"):
        (ran / name).unlink(missing_ok=True)
    _stat_dirty(repo / "data.txt")
    _stat_dirty(repo / "train.py")
    assert git_state(repo / "train.py").dirty is False
    assert sorted(p.name for p in ran.iterdir()) == ["trusted"]


def test_a_filter_that_cannot_be_switched_off_stops_git_from_reading_files(hostile):
    # A driver named with "=" cannot be overridden with -c: git must not look at all.
    repo, nb, markers, head = hostile
    _git(repo, "config", "filter.a=b.clean", f"touch {markers}/equals; cat")
    (repo / ".gitattributes").write_text("* filter=a=b\n")
    _stat_dirty(nb)
    state = git_state(nb)
    assert (state.commit, state.dirty) == (head, None)
    assert list(markers.iterdir()) == []
