"""Mistakes on the command line get a one-line answer and change nothing on disk."""

from __future__ import annotations

import socket

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest

from jupyter_bighead.cli import main
from jupyter_bighead.config import HOME_ENV
from jupyter_bighead.registry import Registry


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv(HOME_ENV, str(tmp_path / "home"))  # main() exports the home it uses
    return tmp_path / "home"


@pytest.fixture
def registry_with_model(tmp_path):
    X = pd.DataFrame(np.random.default_rng(0).normal(size=(100, 2)), columns=["a", "b"])
    reg = Registry(tmp_path / "reg")
    reg.register("m", lgb.LGBMClassifier(n_estimators=2, verbose=-1).fit(X, X.a > 0))
    reg.close()
    return tmp_path / "reg"


@pytest.mark.parametrize("command", [
    ["score", "m", "--input", "in.parquet", "--output", "out.parquet"],
    ["report", "nb.ipynb"],
    ["serve", "m", "--port", "0"],
])
def test_reading_commands_refuse_a_mistyped_registry_and_create_none(
    tmp_path, home, capsys, command
):
    typo = tmp_path / "typo"
    assert main([*command, "--registry", str(typo)]) == 1
    err = capsys.readouterr().err
    assert f"error: no registry at {typo.resolve()}" in err
    assert not typo.exists()
    assert main([*command, "--registry", f"sqlite:///{typo}.db"]) == 1
    assert "error: no registry at" in capsys.readouterr().err
    assert not (tmp_path / "typo.db").exists()


@pytest.mark.parametrize("option", ["--home", "--registry"])
def test_an_empty_home_or_registry_is_refused_not_ignored(home, capsys, option):
    with pytest.raises(SystemExit) as info:
        main(["score", "m", "--input", "a", "--output", "b", option, ""])
    assert info.value.code == 2
    assert "expected a folder or URI, not an empty string" in capsys.readouterr().err


def test_serve_on_a_port_in_use_says_so_in_one_line(home, registry_with_model, capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code = main(["serve", "m", "--port", str(port), "--registry", str(registry_with_model)])
    err = capsys.readouterr().err
    assert code == 1
    assert f"jupyter bighead serve: error: cannot listen on 127.0.0.1:{port}: " in err
    assert "Traceback" not in err


@pytest.mark.parametrize("command", [
    ["score", "m", "--input", "in.parquet", "--output", "out.parquet"],
    ["serve", "m", "--port", "0"],
])
def test_reading_commands_refuse_a_mistyped_home_and_create_none(tmp_path, home, capsys,
                                                                 command):
    typo = tmp_path / "typo-home"
    assert main([*command, "--home", str(typo)]) == 1
    assert f"error: no registry at {typo}: the home folder does not exist" in \
        capsys.readouterr().err
    assert not typo.exists()
