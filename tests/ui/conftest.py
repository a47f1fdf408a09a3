"""Real-browser tests: JupyterLab started by ``jupyter bighead demo``, driven in Chromium.

The browser is Debian's Chromium (``/usr/bin/chromium``), never a downloaded one.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("BIGHEAD_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(os.environ.get("BIGHEAD_TEST_ARTIFACTS", "test-results"))


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_FLAGS}


@dataclass
class Lab:
    url: str
    token: str
    workspace: Path
    log: Path

    def lab_url(self, path: str = "lab") -> str:
        """A URL of ``path`` (``lab`` or ``lab/tree/...``) in a fresh, empty lab workspace.

        Each page gets its own workspace, so tabs opened by one test are never restored
        into the next one.
        """
        rest = path.removeprefix("lab").lstrip("/")
        workspace = f"lab/workspaces/t{secrets.token_hex(6)}"
        return f"{self.url}{workspace}{'/' + rest if rest else ''}?token={self.token}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_lab(root: Path, *, bighead_server: bool = True) -> Iterator[Lab]:
    """Run ``jupyter bighead demo`` in an isolated Jupyter environment until teardown."""
    root.mkdir(parents=True, exist_ok=True)
    config_dir = root / "jupyter-config"
    config_dir.mkdir(exist_ok=True)
    if not bighead_server:
        (config_dir / "jupyter_server_config.json").write_text(
            json.dumps({"ServerApp": {"jpserver_extensions": {"jupyter_bighead_server": False}}})
        )
    port, token = _free_port(), secrets.token_hex(16)
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(config_dir),
        "JUPYTER_RUNTIME_DIR": str(root / "runtime"),
        "JUPYTERLAB_WORKSPACES_DIR": str(root / "lab-workspaces"),
        "JUPYTERLAB_SETTINGS_DIR": str(root / "lab-settings"),
    }
    jupyter = shutil.which("jupyter", path=str(Path(sys.executable).parent)) or "jupyter"
    log = root / "lab.log"
    with log.open("w") as fh:
        proc = subprocess.Popen(
            [
                jupyter, "bighead", "demo", str(root / "ws"), "--port", str(port),
                "--no-browser", "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={token}",
            ],
            env=env,
            stdout=fh,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"JupyterLab exited early:\n{log.read_text()}")
            try:
                req = urllib.request.Request(url + "api/status",
                                             headers={"Authorization": f"token {token}"})
                with urllib.request.urlopen(req, timeout=2) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"JupyterLab did not start in time:\n{log.read_text()}")
            time.sleep(0.25)
        yield Lab(url=url, token=token, workspace=root / "ws", log=log)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        _stop_leftovers(root / "ws" / ".bighead")


def _stop_leftovers(home: Path) -> None:
    """Stop the local deployments and jobs the lab's tests started: they are built to
    outlive the server, and a failed test must not leave them running for later ones."""
    from jupyter_bighead._procs import stop_tree
    from jupyter_bighead.jobs.local import job_mark
    from jupyter_bighead.serving.local import deployment_mark

    for folder, mark in (("deployments", deployment_mark), ("jobs", job_mark)):
        for record in sorted((home / folder).glob("*/")):
            stop_tree(None, None, mark(record.name), grace=2.0)


@pytest.fixture(scope="session")
def lab(tmp_path_factory) -> Iterator[Lab]:
    yield from start_lab(tmp_path_factory.mktemp("lab"))


@pytest.fixture(scope="session")
def lab_without_server_extension(tmp_path_factory) -> Iterator[Lab]:
    yield from start_lab(tmp_path_factory.mktemp("lab-noext"), bighead_server=False)


def screenshot(page, name: str) -> Path:
    """Save a screenshot for people to look at (and CI logs to keep)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


# pytest_jupyter's autouse fixtures manage an asyncio loop for in-process servers.
# Browser tests run JupyterLab in a separate process and Playwright's sync API owns
# the loop in this one, so they are switched off here.
@pytest.fixture(autouse=True)
def jp_asyncio_loop():
    yield None


@pytest.fixture(autouse=True)
def jp_server_cleanup():
    yield


def save_admin_profile(section, name: str, *, cpu: str, memory: str, gpus: str,
                       description: str):
    """Fill and save the Admin section's profile form (``section`` is the sidebar's Admin
    section, opened or not); return the saved profile's row, once it shows."""
    from playwright.sync_api import expect

    section.get_by_text("Admin", exact=True).click()
    form = section.get_by_test_id("profile-form")
    expect(form).to_be_visible(timeout=30_000)
    form.get_by_label("Profile name").fill(name)
    form.get_by_label("Profile cpu").fill(cpu)
    form.get_by_label("Profile memory").fill(memory)
    form.get_by_label("Profile gpus").fill(gpus)
    form.get_by_label("Profile description").fill(description)
    form.get_by_role("button", name="Save profile").click()
    row = section.locator(f'[data-profile="{name}"]')
    expect(row).to_be_visible(timeout=30_000)
    return row
