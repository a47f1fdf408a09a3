from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import jupyter_bighead

BIN = Path(sys.executable).parent


def run_cli(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None):
    """Run ``jupyter bighead ARGS`` exactly as a user would, through the jupyter launcher."""
    jupyter = shutil.which("jupyter", path=str(BIN)) or "jupyter"
    return subprocess.run(
        [jupyter, "bighead", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=cwd,
        timeout=120,
    )


SUBCOMMANDS = [[], ["demo"], ["status"], ["productionize"], ["report"], ["score"], ["serve"]]


@pytest.mark.parametrize("sub", SUBCOMMANDS)
def test_every_subcommand_has_help(sub):
    result = run_cli(*sub, "--help")
    assert result.returncode == 0, result.stderr
    assert "usage: jupyter bighead" in result.stdout


def test_version_flag_prints_the_package_version():
    result = run_cli("--version")
    assert result.returncode == 0
    assert jupyter_bighead.__version__ in result.stdout


def test_no_subcommand_prints_help_and_fails():
    result = run_cli()
    assert result.returncode == 2
    assert "demo" in result.stdout and "status" in result.stdout


def test_status_prints_json_for_the_home_in_the_environment(tmp_path):
    result = run_cli("status", env={"BIGHEAD_HOME": str(tmp_path / "h")})
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["home"] == str((tmp_path / "h").resolve())
    assert payload["version"] == jupyter_bighead.__version__


def test_status_rejects_unknown_options():
    result = run_cli("status", "--bogus")
    assert result.returncode == 2
    assert "--bogus" in result.stderr


def test_demo_no_lab_creates_the_workspace_in_the_default_folder(tmp_path):
    result = run_cli("demo", "--no-lab", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    ws = tmp_path / "bighead-demo"
    assert (ws / "bighead_starter.ipynb").is_file()
    assert (ws / "data" / "bookings.parquet").is_file()
    assert (ws / ".bighead" / "artifacts").is_dir()
    assert "workspace ready" in result.stderr


def test_demo_on_a_file_fails_with_a_clear_message(tmp_path):
    (tmp_path / "f").write_text("x")
    result = run_cli("demo", str(tmp_path / "f"), "--no-lab")
    assert result.returncode == 1
    assert "not a folder" in result.stderr
    assert "Traceback" not in result.stderr


def test_productionize_cli_writes_outputs_and_reports_dependency_errors(tmp_path):
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    ok = new_notebook(cells=[new_code_cell("x = 1")])
    nbformat.write(ok, tmp_path / "ok.ipynb")
    result = run_cli("productionize", str(tmp_path / "ok.ipynb"))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["module"].endswith("ok_production/ok.py")

    again = run_cli("productionize", str(tmp_path / "ok.ipynb"))
    assert again.returncode == 1 and "--force" in again.stderr

    proto = new_code_cell("secret = 1")
    proto.metadata["tags"] = ["prototype"]
    bad = new_notebook(cells=[proto, new_code_cell("print(secret)")])
    nbformat.write(bad, tmp_path / "bad.ipynb")
    failed = run_cli("productionize", str(tmp_path / "bad.ipynb"))
    assert failed.returncode == 1
    assert "cell 2 ('print(secret)') uses secret" in failed.stderr
    assert "Traceback" not in failed.stderr


def test_report_cli_writes_html(tmp_path):
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    nbformat.write(new_notebook(cells=[new_markdown_cell("# T"), new_code_cell("x = 1")]),
                   tmp_path / "nb.ipynb")
    result = run_cli("report", str(tmp_path / "nb.ipynb"), "-o", str(tmp_path / "r.html"))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "r.html").read_text().count("<h1>T</h1>") == 1
    again = run_cli("report", str(tmp_path / "nb.ipynb"), "-o", str(tmp_path / "r.html"))
    assert again.returncode == 1 and "refusing to overwrite" in again.stderr


# ---- one home and the same store options everywhere ---------------------------------------
STORE_ARGS = {
    "productionize": ["nb.ipynb"],
    "report": ["nb.ipynb"],
    "score": ["m", "--input", "i.parquet", "--output", "o.parquet"],
    "serve": ["m"],
    "status": [],
}
READS_REGISTRY = {"report", "score", "serve", "status"}


@pytest.mark.parametrize("sub", sorted(STORE_ARGS))
def test_every_store_subcommand_takes_the_same_home_and_registry_options(sub):
    from jupyter_bighead.cli import build_parser

    args = build_parser().parse_args([sub, *STORE_ARGS[sub], "--home", "h"])
    assert args.home == "h"
    if sub in READS_REGISTRY:
        with_registry = [sub, *STORE_ARGS[sub], "--registry", "r"]
        assert build_parser().parse_args(with_registry).registry == "r"


def _workspace(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    (ws / ".bighead").mkdir(parents=True)
    (ws / "notebooks").mkdir()
    return ws


# An empty BIGHEAD_HOME counts as unset (run_cli can only add to the environment).
NO_HOME_ENV = {"BIGHEAD_HOME": ""}


def test_commands_find_the_workspace_home_from_a_subfolder_and_say_so(tmp_path):
    ws = _workspace(tmp_path)
    result = run_cli("status", env=NO_HOME_ENV, cwd=ws / "notebooks")
    assert result.returncode == 0, result.stderr
    home = (ws / ".bighead").resolve()
    assert json.loads(result.stdout)["home"] == str(home)
    assert f"bighead home: {home} (found .bighead/ in {ws.resolve()})" in result.stderr
    flagged = run_cli("status", "--home", str(tmp_path / "other"), env=NO_HOME_ENV, cwd=ws)
    assert json.loads(flagged.stdout)["home"] == str((tmp_path / "other").resolve())
    assert "(from --home)" in flagged.stderr


@pytest.mark.parametrize("workers", ["1", "2"])
def test_serve_exits_with_the_reason_when_its_model_cannot_be_loaded(tmp_path, workers):
    ws = _workspace(tmp_path)
    result = run_cli("serve", "booking_pipeline@production", "--port", "0",
                     "--workers", workers, env=NO_HOME_ENV, cwd=ws)
    assert result.returncode == 1
    assert "jupyter bighead serve: error: no model named 'booking_pipeline'" in result.stderr
    assert "http://" not in result.stdout  # it never claimed to be serving
    assert "Traceback" not in result.stderr


def test_score_reads_the_registry_named_by_registry(tmp_path):
    import lightgbm as lgb
    import numpy as np
    import pandas as pd

    from jupyter_bighead.registry import Registry

    X = pd.DataFrame(np.random.default_rng(0).normal(size=(300, 3)), columns=["a", "b", "c"])
    model = lgb.LGBMClassifier(n_estimators=5, verbose=-1).fit(X, (X.a > 0).astype(int))
    reg = Registry(tmp_path / "shared-registry")
    reg.register("m", model, X_valid=X, y_valid=(X.a > 0).astype(int), alias="production")
    reg.close()
    X.to_parquet(tmp_path / "in.parquet")
    ws = _workspace(tmp_path)  # its home has no models: only --registry has "m"
    args = ["score", "m@production", "--input", str(tmp_path / "in.parquet"), "--output",
            str(tmp_path / "out.parquet"), "--no-features", "--quiet"]
    assert run_cli(*args, env=NO_HOME_ENV, cwd=ws).returncode == 1
    result = run_cli(*args, "--registry", str(tmp_path / "shared-registry"),
                     env=NO_HOME_ENV, cwd=ws)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["rows"] == 300
