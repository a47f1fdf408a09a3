"""Every shell command in the README runs, as written, on a fresh demo workspace, and so
do its Python examples that are not sketches (``PYTHON_NOT_RUN`` says why for the others).

The commands come from the README's ``bash`` code blocks, in order, so the README's
own ``jupyter bighead demo --no-lab`` makes the workspace and its ``productionize
--execute`` runs the starter notebook's production cells (which register the models
the later commands use). A few commands cannot run here; they are listed in
``NOT_RUN`` with the reason, and the test fails if one of them leaves the README (so
the list never hides a new command).

Two changes are made to what runs, both about the port: ``serve`` gets ``--port 0``
instead of ``--port 8080`` (another test or program may hold 8080) and is started in the
background, and later commands reach it on the port it printed.
"""

from __future__ import annotations

import json
import os
import re
import select
import shlex
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

README = Path(__file__).resolve().parents[1] / "README.md"
BIN = Path(sys.executable).parent

#: Commands the test does not run, and why (matched without their trailing comments).
NOT_RUN = {
    "python3 -m venv .venv && .venv/bin/pip install -e . && .venv/bin/jupyter bighead demo":
        "set-up: installs the package and starts a JupyterLab that runs until stopped "
        "(tests/ui starts the same demo lab)",
    "scripts/test": "set-up: runs the whole test suite, this test included",
    'curl -H "Authorization: token $TOKEN" http://127.0.0.1:8888/bighead/api/status':
        "needs a running JupyterLab and its token (tests/server checks this route)",
    'python3 -m venv .venv && .venv/bin/pip install -e ".[test]"':
        "development set-up: creates a virtualenv and installs into it",
    "export PATH=$PWD/.venv/bin:$PATH": "development set-up of the shell",
    "jupyter labextension develop --overwrite .":
        "development set-up: symlinks the extension into the virtualenv",
    "jlpm build": "development: rebuilds the TypeScript extension (minutes, needs node_modules)",
    "jlpm watch": "development: a watcher that runs until stopped",
    "jupyter bighead helm-values helm --server-config jupyter_server_config.json "
    "--image registry.example/bighead:0.4":
        "needs an admin's jupyter_server_config.json: tests/hub/test_kubernetes_hub.py runs it",
    "kubectl apply -f helm/bighead-config.yaml": "needs a Kubernetes cluster",
    "helm upgrade --install jupyterhub jupyterhub/jupyterhub --values helm/values.yaml":
        "needs a Kubernetes cluster and helm",
    "jupyter bighead hub bighead-hub --port 8000":
        "a hub that runs until stopped: tests/hub/test_local_hub.py runs it on a free port",
}


#: Python examples the test does not run (matched by their first line), and why. Every
#: other ``python`` block runs, as written, on the demo workspace the commands made.
PYTHON_NOT_RUN = {
    "c.BigheadApp.roles = {":
        "a jupyter_server_config.py fragment: tests/server/test_roles.py loads it into BigheadApp",
    "from jupyter_bighead.features import EventSource, Feature, FeatureRepo":
        "a sketch: `labels` and data/bookings.parquet's columns are the reader's own",
    "import jupyter_bighead as bh":
        "a sketch: `model`, `X_valid`, `y_valid` and `params` are the reader's own",
    "from lightgbm import LGBMClassifier":
        "a sketch: `X_train`, `y_train` with columns age, price, country... are the reader's",
    "from jupyter_bighead.jobs import JobSpec, get_executor":
        "a sketch: train.ipynb with an `alpha` parameter is the reader's notebook",
}

#: Run a Python example like a notebook or the REPL would: each statement in turn, the
#: value of an expression statement printed (its repr).
RUN_PYTHON = """
import ast, sys
tree = ast.parse(sys.stdin.read())
for node in tree.body:
    exec(compile(ast.Interactive([node]), "<README>", "single"))
"""


def readme_python(text: str) -> list[str]:
    """The README's ``python`` code blocks, in order."""
    return re.findall(r"^```python\n(.*?)^```", text, re.M | re.S)


def check_deployment_example(out: str) -> None:
    # svc.predict: one probability for user 42; svc.call: the v2 answer, status 200.
    (probabilities,) = re.findall(r"^\[([\d.e-]+)\]$", out, re.M)
    assert 0.0 < float(probabilities) < 1.0, out
    assert re.search(r"^\(200, b'\{.*\"outputs\"", out, re.M), out


PYTHON_CHECKS: dict[str, Callable[[str], None]] = {
    "from jupyter_bighead.serving import DeploymentService": check_deployment_example,
}


def _normal(command: str) -> str:
    return " ".join(shlex.split(command, comments=True))


def readme_commands(text: str) -> list[str]:
    """The shell commands of the README's bash/sh/shell code blocks, in order.

    A command goes on over lines ending in a backslash and over lines inside an open
    quote; blank lines and comment lines are skipped.
    """
    commands = []
    for block in re.findall(r"^```(?:bash|sh|shell|console)\n(.*?)^```", text, re.M | re.S):
        buf = ""
        for line in block.splitlines():
            if not buf and (not line.strip() or line.lstrip().startswith("#")):
                continue
            buf = f"{buf}\n{line}" if buf else line
            if buf.endswith("\\"):
                continue
            try:
                shlex.split(buf, comments=True)
            except ValueError:  # an open quote: the command goes on
                continue
            commands.append(buf)
            buf = ""
        assert not buf, f"unfinished command in the README: {buf!r}"
    return commands


def test_readme_commands_are_found_including_multi_line_ones():
    text = ("```bash\na --x 1   # note\n# only a comment\n\nb \\\n  c\n"
            "curl -d '{\n  \"k\": 1}'\n```\n")
    assert readme_commands(text) == ["a --x 1   # note", "b \\\n  c", "curl -d '{\n  \"k\": 1}'"]
    assert readme_commands("```python\nprint(1)\n```\n") == []


# ---- what each kind of command must print ----------------------------------------------
def _json(out: str) -> Any:
    return json.loads(out)


def check_demo(cwd: Path, out: str, err: str) -> None:
    assert (cwd / "bighead-demo" / ".bighead").is_dir()
    assert (cwd / "bighead-demo" / "bighead_starter.ipynb").is_file()


def check_status(cwd: Path, out: str, err: str) -> None:
    home = (cwd / ".bighead").resolve()
    assert _json(out)["home"] == str(home)
    assert f"bighead home: {home} (found .bighead/ in {cwd.resolve()})" in err


def check_productionize(cwd: Path, out: str, err: str) -> None:
    executed = Path(_json(out)["executed"])
    assert executed.is_file()


def check_score(cwd: Path, out: str, err: str) -> None:
    result = _json(out)
    output = cwd / result["output"]
    assert result["rows"] == 10_000
    if output.is_dir():  # --cluster: a folder of parts with all the rows
        import pyarrow.parquet as pq

        parts = sorted(output.glob("part-*.parquet"))
        assert parts and sum(pq.read_metadata(p).num_rows for p in parts) == 10_000
    else:
        assert output.is_file()


def check_predict(cwd: Path, out: str, err: str) -> None:
    (p,) = _json(out)["predictions"]
    assert 0.0 < p < 1.0


def check_report(cwd: Path, out: str, err: str) -> None:
    html = Path(out.strip()).read_text("utf-8")
    assert "Model card: booking_model v1" in html and "Model card: booking_pipeline v1" in html


CHECKS: dict[str, Callable[[Path, str, str], None]] = {
    "jupyter bighead demo": check_demo,
    "jupyter bighead status": check_status,
    "jupyter bighead productionize": check_productionize,
    "jupyter bighead score": check_score,
    "curl -s -XPOST localhost:8080/v1/models/": check_predict,
    "jupyter bighead report": check_report,
}


# ---- running ------------------------------------------------------------------------------
def _environment(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("BIGHEAD_HOME", "BIGHEAD_JOB_ID", "BIGHEAD_PROTECTED_ALIASES")}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    # Were the home not found from the working folder, it would land here, not in the
    # user's data folder; the status check would then fail.
    env["JUPYTER_DATA_DIR"] = str(tmp / "jupyter-data")
    return env


def _start_server(command: str, cwd: Path, env: dict[str, str]) -> tuple[subprocess.Popen, int]:
    assert "--port 8080" in command, command
    proc = subprocess.Popen(["bash", "-c", "exec " + command.replace("--port 8080", "--port 0")],
                            cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    assert proc.stdout is not None
    seen = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stdout], [], [], deadline - time.monotonic())
        if not ready:
            break
        line = proc.stdout.readline()
        if not line:  # the server ended
            break
        seen.append(line)
        # Printed after the model loaded and the port is bound: connections queue from now.
        found = re.search(r"\[bighead serve\] .* on http://[\d.]+:(\d+)", line)
        if found:
            return proc, int(found.group(1))
    proc.kill()
    raise AssertionError(f"{command!r} did not start serving: {''.join(seen)}")


def test_every_readme_command_runs_on_a_fresh_demo_workspace(tmp_path):
    commands = readme_commands(README.read_text("utf-8"))
    normal = {_normal(c) for c in commands}
    stale = [c for c in NOT_RUN if _normal(c) not in normal]
    assert not stale, f"NOT_RUN lists commands the README no longer has: {stale}"

    not_run = {_normal(c) for c in NOT_RUN}
    env = _environment(tmp_path)
    cwd = tmp_path / "user"
    cwd.mkdir()
    server: subprocess.Popen | None = None
    port = None
    checked = set()
    ran = []
    try:
        for command in commands:
            if _normal(command) in not_run:
                continue
            ran.append(command)
            words = shlex.split(command, comments=True)
            if words[0] == "cd":
                cwd = (cwd / words[1]).resolve()
                assert cwd.is_dir(), command
                continue
            if words[:3] == ["jupyter", "bighead", "serve"]:
                assert server is None, "the test runs one server at a time"
                server, port = _start_server(command, cwd, env)
                continue
            runnable = command
            if "localhost:8080" in command:
                assert port is not None, f"{command!r} needs the server started above it"
                runnable = command.replace("localhost:8080", f"127.0.0.1:{port}")
            result = subprocess.run(["bash", "-c", runnable], cwd=cwd, env=env,
                                    capture_output=True, text=True, timeout=600)
            assert result.returncode == 0, (
                f"{command!r} exited {result.returncode}\n{result.stdout}\n{result.stderr}")
            for prefix, check in CHECKS.items():
                if command.startswith(prefix):
                    check(cwd, result.stdout, result.stderr)
                    checked.add(prefix)
        run_python_examples(cwd, env)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
    assert server is not None, "the README's serving example was not run"
    assert checked == set(CHECKS), f"no README command for {set(CHECKS) - checked}"
    assert len(ran) >= 8, ran


def run_python_examples(cwd: Path, env: dict[str, str]) -> None:
    blocks = readme_python(README.read_text("utf-8"))
    firsts = [b.splitlines()[0] for b in blocks]
    stale = [f for f in PYTHON_NOT_RUN if f not in firsts]
    assert not stale, f"PYTHON_NOT_RUN lists examples the README no longer has: {stale}"
    ran = set()
    for block in blocks:
        first = block.splitlines()[0]
        if first in PYTHON_NOT_RUN:
            continue
        result = subprocess.run([sys.executable, "-c", RUN_PYTHON], input=block, cwd=cwd,
                                env=env, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, f"{first!r}:\n{result.stdout}\n{result.stderr}"
        check = PYTHON_CHECKS.get(first)
        assert check, f"README example {first!r}: give it a check or a PYTHON_NOT_RUN reason"
        check(result.stdout)
        ran.add(first)
    assert ran == set(PYTHON_CHECKS), f"no README example for {set(PYTHON_CHECKS) - ran}"
