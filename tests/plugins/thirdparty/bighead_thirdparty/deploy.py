"""A deploy target that runs ``jupyter bighead serve`` as a plain process per deployment."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Sequence
from typing import ClassVar

from jupyter_bighead.config import HOME_ENV, BigheadHome
from jupyter_bighead.errors import Unavailable
from jupyter_bighead.serving.deploy import ADMIN_TOKEN_ENV, Deployment, DeployTarget

from ._proc import adopt, running, terminate


def _free_port(host: str) -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class ProcessTarget(DeployTarget):
    """One ``jupyter bighead serve`` process per deployment, on a free local port; it
    serves the version current when it started (a moved alias needs a redeploy).

    Parameters
    ----------
    host
        Address the servers listen on.
    extra_args
        More ``jupyter bighead serve`` arguments (``["--workers", "2"]``).
    """

    name: ClassVar[str] = "thirdparty"
    capabilities: ClassVar[frozenset[str]] = frozenset({"call"})

    def __init__(self, home: BigheadHome | None = None, host: str = "127.0.0.1",
                 extra_args: Sequence[str] = ()) -> None:
        super().__init__(home)
        self.host = host
        self.extra_args = [str(a) for a in extra_args]

    def start(self, record: Deployment) -> Deployment:
        port = _free_port(self.host)
        folder = self.home.root / "deployments" / record.id
        folder.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, HOME_ENV: str(self.home.root),
               ADMIN_TOKEN_ENV: record.admin_token}
        with (folder / "thirdparty.log").open("ab") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "jupyter_bighead.cli", "serve", record.ref,
                 "--host", self.host, "--port", str(port), "--poll-seconds", "0",
                 *self.extra_args],
                env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True)
        adopt(proc)
        return record.evolve(status="starting", port=port, pid=proc.pid,
                             url=f"http://{self.host}:{port}", reason=None)

    def refresh(self, record: Deployment) -> Deployment:
        if record.status in ("stopped", "failed"):
            return record
        if not running(record.pid):
            return record.evolve(status="failed", reason="the server process exited")
        try:
            code, body = self.call(record, "GET", "/v2/health/ready")
        except Unavailable:
            return record if record.status == "starting" else record.evolve(status="starting")
        if code != 200:
            return record if record.status == "starting" else record.evolve(status="starting")
        served = json.loads(body or b"{}").get("version")
        changes = {"status": "running", "reason": None}
        if isinstance(served, int) and served != record.version:
            changes["version"] = served
        if all(getattr(record, k) == v for k, v in changes.items()):
            return record
        return record.evolve(**changes)

    def stop(self, record: Deployment) -> None:
        terminate(record.pid, grace=10.0)

    def call(self, record: Deployment, method: str, path: str,
             body: bytes | None = None) -> tuple[int, bytes]:
        if not record.url:
            raise Unavailable(f"deployment {record.id} has no address yet")
        req = urllib.request.Request(record.url + path, data=body, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                return int(resp.status), resp.read()
        except urllib.error.HTTPError as exc:
            return int(exc.code), exc.read()
        except (urllib.error.URLError, OSError) as exc:
            raise Unavailable(f"deployment {record.id} does not answer: {exc}") from None
