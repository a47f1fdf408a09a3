"""One place turns contents paths into real paths and back, inside the server root."""

from __future__ import annotations

import os

import pytest

from jupyter_bighead.errors import Forbidden, InvalidSpec
from jupyter_bighead_server.paths import ContentsPaths


@pytest.fixture
def paths(tmp_path):
    (tmp_path / "root" / "sub").mkdir(parents=True)
    (tmp_path / "outside").mkdir()
    return ContentsPaths(tmp_path / "root")


def test_contents_paths_round_trip_inside_the_root(paths):
    real = paths.resolve(" sub/nb.ipynb ")
    assert real == (paths.root / "sub" / "nb.ipynb").resolve()
    assert paths.relative(real) == "sub/nb.ipynb"
    assert paths.contents_path(real) == "sub/nb.ipynb"


@pytest.mark.parametrize("bad", [None, "", "  ", 3, ["a"]])
def test_a_missing_path_is_invalid(paths, bad):
    with pytest.raises(InvalidSpec, match="'path' must be a non-empty string"):
        paths.resolve(bad)


def test_escapes_are_forbidden_and_outside_paths_have_no_contents_path(paths, tmp_path):
    os.symlink(tmp_path / "outside", paths.root / "link")
    for escape in ("../outside/x.ipynb", "link/x.ipynb", str(tmp_path / "outside")):
        with pytest.raises(Forbidden):
            paths.resolve(escape)
    with pytest.raises(Forbidden, match="the job's notebook is outside"):
        paths.check_inside(tmp_path / "outside" / "nb.ipynb", "the job's notebook")
    with pytest.raises(Forbidden, match="parameter 'input' is outside"):
        paths.resolve_stored(str(tmp_path / "outside" / "d.csv"), "parameter 'input'")
    assert paths.resolve_stored(str(paths.root / "d.csv"), "x") == (paths.root / "d.csv").resolve()
    assert paths.contents_path(tmp_path / "outside" / "nb.ipynb") is None
    assert paths.contents_path(None) is None


def test_the_production_folder_may_not_be_a_symlink_out_of_the_root(paths, tmp_path):
    source = paths.resolve("sub/nb.ipynb")
    assert paths.production_dir(source) == paths.root.resolve() / "sub" / "nb_production"
    os.symlink(tmp_path / "outside", paths.root / "sub" / "nb_production")
    with pytest.raises(Forbidden):
        paths.production_dir(source)
