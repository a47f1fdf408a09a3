"""The ``local`` deploy target: a managed ``jupyter bighead serve`` process.

The server runs in its own session (so stopping it stops its workers too), logs to
``deployments/<id>/serve.log``, listens on 127.0.0.1 on a port chosen free at
creation and kept across restarts, follows its alias by polling the registry, and
gets the deployment's admin token through its environment (never on the command line,
where ``ps`` would show it).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from typing import Any, ClassVar

from .._procs import MARKS_ENV, alive, create_time, spawn, stop_tree
from ..config import HOME_ENV, BigheadHome
from ..errors import InvalidSpec, Unavailable
from .deploy import ADMIN_TOKEN_ENV, Deployment, DeployTarget


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _port_free(host: str, port: int) -> bool:
    with socket.socket() as sock:
        # As the server binds (tornado sets SO_REUSEADDR): old connections in TIME_WAIT
        # to the port must not make us move a restarted server to a new port.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


#: The longest wait between two restarts of a server that keeps dying.
RESTART_BACKOFF_MAX = 300.0


def restart_delay(restarts: int) -> float:
    """Seconds after its last start before a dead server is restarted: 0, 2, 4, ... 300."""
    return 0.0 if restarts <= 0 else min(2.0 ** restarts, RESTART_BACKOFF_MAX)


class LocalTarget(DeployTarget):
    """Run each deployment as a local server process.

    Parameters
    ----------
    home
        Where records and logs live; the servers read the registry under it.
    host
        Address the servers listen on (loopback by default).
    poll_seconds
        How often a server re-resolves its alias (0: only when redeployed or reloaded).
    workers
        Processes per server (``--workers``).
    registry
        Registry location for the servers when it is not the one under ``home``.
    health_timeout
        Seconds for one health check.
    """

    name: ClassVar[str] = "local"
    #: follows_alias: the server polls the registry (--poll-seconds)
    capabilities: ClassVar[frozenset[str]] = frozenset(
        {"logs", "call", "follows_alias", "restart"})

    def __init__(self, home: BigheadHome | None = None, host: str = "127.0.0.1",
                 poll_seconds: float = 5.0, workers: int = 1, registry: str | None = None,
                 health_timeout: float = 1.0) -> None:
        super().__init__(home)
        if workers < 1:
            raise InvalidSpec("workers must be at least 1")
        self.host = host
        self.poll_seconds = poll_seconds
        self.workers = workers
        self.registry = registry
        self.health_timeout = health_timeout
        self._children: dict[str, subprocess.Popen[bytes]] = {}

    def log_path(self, record: Deployment) -> Any:
        return self.home.root / "deployments" / record.id / "serve.log"

    # -- lifecycle -------------------------------------------------------------------
    def start(self, record: Deployment) -> Deployment:
        port = record.port if record.port and _port_free(self.host, record.port) \
            else free_port(self.host)
        cmd = [sys.executable, "-m", "jupyter_bighead.cli", "serve", record.ref,
               "--host", self.host, "--port", str(port), "--workers", str(self.workers),
               "--poll-seconds", str(self.poll_seconds)]
        if self.registry:
            cmd += ["--registry", self.registry]
        env = dict(os.environ)
        env[HOME_ENV] = str(self.home.root)
        env[ADMIN_TOKEN_ENV] = record.admin_token
        env["PYTHONUNBUFFERED"] = "1"
        # Only its own mark: a deployment created from inside a job is not the job's
        # process, and must outlive it (a job's end stops what carries the job's mark).
        env.pop(MARKS_ENV, None)
        log = self.log_path(record)
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("ab") as out:
            # A session of its own, marked (its workers too), reaped as soon as it exits.
            proc = spawn(cmd, mark=deployment_mark(record.id), env=env,
                         stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self._children[record.id] = proc
        started = create_time(proc.pid)
        return record.evolve(status="starting", port=port, pid=proc.pid, pid_started=started,
                             url=f"http://{self.host}:{port}", reason=None)

    def refresh(self, record: Deployment) -> Deployment:
        if record.status == "stopped":
            return record
        self._reap(record.id)
        if not alive(record.pid, record.pid_started):
            if record.status == "failed":
                return record
            return record.evolve(status="failed", reason="the server process is not running")
        code, body = self._health(record)
        if code == 200:
            info = _json(body)
            served = info.get("version")
            changes: dict[str, Any] = {"status": "running", "reason": None}
            if isinstance(served, int) and served != record.version:
                changes["version"] = served  # the server followed its alias
            if any(getattr(record, k) != v for k, v in changes.items()):
                return record.evolve(**changes)
            return record
        reason = _json(body).get("reason") or ("loading" if code == 503 else
                                               f"health check answered {code}")
        status = "starting" if reason == "loading" or code == 0 else "unhealthy"
        if record.status == status and record.reason == reason:
            return record
        return record.evolve(status=status, reason=reason)

    def heal(self, record: Deployment) -> Deployment:
        """Restart a server that died (the port is kept when it is still free)."""
        fresh = self.refresh(record)
        if fresh.status == "failed":
            # A server that cannot start (its model or alias is gone) exits at once:
            # restarts back off exponentially from its last start, so a crash loop costs
            # one start every RESTART_BACKOFF_MAX seconds at most, and says why.
            wait = restart_delay(fresh.restarts)
            since = time.time() - (fresh.pid_started or 0.0)
            if since < wait:
                reason = f"the server exited; restart {fresh.restarts + 1} in {wait - since:.0f} s"
                last = self._last_log_line(fresh)
                reason += f" (last log line: {last})" if last else ""
                return fresh if fresh.reason == reason else fresh.evolve(reason=reason)
            # Workers outlive a server killed under them (they keep its port and serve
            # on): stop whatever is left of it before starting anew.
            stop_tree(None, None, deployment_mark(record.id), grace=2.0)
            restarted = self.start(fresh)
            return restarted.evolve(restarts=fresh.restarts + 1, status="restarting")
        return fresh

    def _last_log_line(self, record: Deployment) -> str:
        try:
            with self.log_path(record).open("rb") as fh:
                fh.seek(max(0, fh.seek(0, 2) - 4096))
                lines = fh.read().decode("utf-8", "replace").strip().splitlines()
        except OSError:
            return ""
        return lines[-1][:300] if lines else ""

    def stop(self, record: Deployment) -> None:
        # The server, its workers and anything that left its session.
        stop_tree(record.pid, record.pid_started, deployment_mark(record.id))
        self._reap(record.id)

    def redeploy(self, record: Deployment) -> Deployment:
        """A local server hot-swaps: ask it to reload rather than restarting it."""
        code, _body = self.call(record, "POST", "/admin/reload?force=1")
        if code != 200:
            return super().redeploy(record)
        return self.refresh(record)

    def logs(self, record: Deployment, offset: int = 0) -> tuple[str, int]:
        path = self.log_path(record)
        try:
            with path.open("rb") as fh:
                fh.seek(offset)
                data = fh.read(1024 * 1024)
        except FileNotFoundError:
            return "", offset
        return data.decode("utf-8", "replace"), offset + len(data)

    def call(self, record: Deployment, method: str, path: str,
             body: bytes | None = None) -> tuple[int, bytes]:
        if not record.url:
            raise Unavailable(f"deployment {record.id} has no address yet")
        req = urllib.request.Request(record.url + path, data=body, method=method,
                                     headers={"Content-Type": "application/json"})
        if path.startswith("/admin/"):
            req.add_header("Authorization", f"Bearer {record.admin_token}")
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                return int(resp.status), resp.read()
        except urllib.error.HTTPError as exc:
            return int(exc.code), exc.read()
        except (urllib.error.URLError, OSError) as exc:
            raise Unavailable(f"deployment {record.id} at {record.url} does not answer: "
                              f"{exc}") from None

    # -- helpers -----------------------------------------------------------------------
    def _health(self, record: Deployment) -> tuple[int, bytes]:
        try:
            with urllib.request.urlopen(f"{record.url}/v2/health/ready",
                                        timeout=self.health_timeout) as resp:
                return int(resp.status), resp.read()
        except urllib.error.HTTPError as exc:
            return int(exc.code), exc.read()
        except (urllib.error.URLError, OSError):
            return 0, b""

    def _reap(self, dep_id: str) -> None:
        proc = self._children.get(dep_id)
        if proc is not None and proc.poll() is not None:
            self._children.pop(dep_id, None)


def deployment_mark(dep_id: str) -> str:
    """The process mark (see ``_procs``) every process of deployment ``dep_id`` carries."""
    return f"deployment:{dep_id}"


def _json(body: bytes) -> dict[str, Any]:
    import json

    try:
        data = json.loads(body or b"{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
