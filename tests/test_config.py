from __future__ import annotations

from pathlib import Path

from jupyter_bighead.config import HOME_ENV, BigheadHome, default_home, find_home
from jupyter_bighead.status import status_payload


def test_bighead_home_env_var_wins(monkeypatch, tmp_path):
    monkeypatch.setenv(HOME_ENV, str(tmp_path / "h"))
    assert default_home() == (tmp_path / "h").resolve()


def test_default_home_is_under_the_jupyter_data_dir(monkeypatch, tmp_path):
    monkeypatch.delenv(HOME_ENV, raising=False)
    monkeypatch.chdir(tmp_path)  # no .bighead/ here or above
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path / "data"))
    assert default_home() == (tmp_path / "data" / "bighead").resolve()
    assert "the default: no $BIGHEAD_HOME and no .bighead/" in find_home().reason


def test_home_is_the_nearest_bighead_folder_above_the_working_directory(monkeypatch, tmp_path):
    monkeypatch.delenv(HOME_ENV, raising=False)
    (tmp_path / "outer" / ".bighead").mkdir(parents=True)
    (tmp_path / "outer" / "ws" / ".bighead").mkdir(parents=True)
    deep = tmp_path / "outer" / "ws" / "notebooks" / "deeper"
    deep.mkdir(parents=True)
    monkeypatch.chdir(deep)
    ws = (tmp_path / "outer" / "ws").resolve()
    assert default_home() == ws / ".bighead"
    choice = find_home()
    assert choice.describe() == f"bighead home: {ws / '.bighead'} (found .bighead/ in {ws})"
    assert find_home(start=tmp_path / "outer").path == (tmp_path / "outer" / ".bighead").resolve()
    (tmp_path / "file-not-folder").mkdir()
    (tmp_path / "file-not-folder" / ".bighead").write_text("a file is not a home")
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path / "data"))
    assert find_home(start=tmp_path / "file-not-folder").path == \
        (tmp_path / "data" / "bighead").resolve()


def test_explicit_home_beats_the_environment_which_beats_discovery(monkeypatch, tmp_path):
    (tmp_path / ".bighead").mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(HOME_ENV, str(tmp_path / "env-home"))
    assert find_home().path == (tmp_path / "env-home").resolve()
    assert find_home().reason == "from $BIGHEAD_HOME"
    assert find_home(tmp_path / "flag").path == (tmp_path / "flag").resolve()
    assert not (tmp_path / "flag").exists()  # finding creates nothing


def test_home_layout_is_described_without_touching_disk_until_ensure(tmp_path):
    home = BigheadHome.resolve(tmp_path / "h")
    locations = home.locations()
    assert not (tmp_path / "h").exists()
    assert locations["registry"] == f"sqlite:///{tmp_path / 'h' / 'registry.db'}"
    home.ensure()
    for key in ("artifacts", "features", "jobs"):
        assert Path(locations[key]).is_dir()


def test_status_payload_reports_version_home_stores_and_executor(tmp_path):
    import jupyter_bighead

    payload = status_payload(BigheadHome.resolve(tmp_path), "kubernetes")
    assert payload["version"] == jupyter_bighead.__version__
    assert payload["home"] == str(tmp_path.resolve())
    assert payload["executor"] == "kubernetes"
    assert set(payload["stores"]) == {"registry", "artifacts", "features", "jobs"}


def test_home_accepts_a_plain_string_path(tmp_path):
    home = BigheadHome(str(tmp_path / "h")).ensure()
    assert home.root == tmp_path / "h"
    assert home.jobs.is_dir()
