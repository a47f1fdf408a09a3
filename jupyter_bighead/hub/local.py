"""`jupyter bighead hub [DIR]`: the team set-up on one machine.

A real JupyterHub (with configurable-http-proxy from npm), a local-process spawner, demo
users who sign in with one shared password, and a throwaway PostgreSQL registry that all
users share, with the shared artifact, feature and job folders under ``DIR/shared``. Each
user's server runs the Bighead extension with the team's roles (``DIR/user-config``).

Everything lives under ``DIR``; the PostgreSQL server is removed when the hub stops.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from jupyter_bighead import templates
from jupyter_bighead.errors import DependencyError, InvalidSpec
from jupyter_bighead.roles import RoleMap

#: The demo team: user -> their JupyterHub groups.
DEMO_USERS: Mapping[str, tuple[str, ...]] = {
    "dana": ("data-science",),
    "rita": ("reviewers",),
    "adam": ("admins",),
    "vera": (),
}
#: The demo team's roles: groups to roles, everyone else a viewer.
DEMO_ROLES: Mapping[str, str] = {
    "*": "viewer",
    "group:data-science": "data_scientist",
    "group:reviewers": "reviewer",
    "group:admins": "admin",
}
DEMO_PASSWORD = "bighead"
PROXY_ENV = "BIGHEAD_CHP"
#: Where scripts/ensure-chp installs configurable-http-proxy when npm's global bin is not
#: writable.
PROXY_CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / \
    "jupyter-bighead" / "chp" / "node_modules" / ".bin" / "configurable-http-proxy"
PROXY_HINT = ("configurable-http-proxy was not found: install it with "
              "`npm install -g configurable-http-proxy` (or set $BIGHEAD_CHP to its path)")


@dataclass(frozen=True)
class LocalHub:
    """What the local hub serves: where, on which port, for whom."""

    folder: Path
    port: int = 8000
    ip: str = "127.0.0.1"
    password: str = DEMO_PASSWORD
    users: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: dict(DEMO_USERS))
    roles: Mapping[str, object] = field(default_factory=lambda: dict(DEMO_ROLES))
    #: A PostgreSQL URI to use instead of starting a throwaway server.
    registry: str = ""
    #: An API token for scripts that drive the hub (a service with admin scopes).
    api_token: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "folder", Path(self.folder).expanduser().resolve())
        if not 1 <= self.port <= 65535:
            raise InvalidSpec(f"port {self.port} is not 1-65535")
        if not self.password:
            raise InvalidSpec("the demo password must not be empty")
        if not self.users:
            raise InvalidSpec("a hub needs at least one user")
        RoleMap.from_config(self.roles)  # InvalidSpec naming a bad entry

    @property
    def url(self) -> str:
        return f"http://{self.ip}:{self.port}/"

    def groups(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for user, groups in self.users.items():
            for group in groups:
                out.setdefault(group, []).append(user)
        return out

    def hub_admins(self) -> list[str]:
        """Users whose roles include admin: they are JupyterHub admins too."""
        roles = RoleMap.from_config(self.roles)
        return sorted(u for u, g in self.users.items() if "admin" in roles.roles_of(u, g))


def find_proxy() -> str:
    """The configurable-http-proxy executable; :class:`DependencyError` says how to get it."""
    for candidate in (os.environ.get(PROXY_ENV), shutil.which("configurable-http-proxy"),
                      str(PROXY_CACHE)):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    raise DependencyError(PROXY_HINT)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write_config(hub: LocalHub, registry: str, proxy: str) -> Path:
    """Write ``DIR/jupyterhub_config.py``, its settings and the users' server config;
    return the config file's path."""
    folder = hub.folder
    shared = folder / "shared"
    user_config = folder / "user-config"
    for path in (folder, shared, user_config, folder / "users"):
        path.mkdir(parents=True, exist_ok=True)
    starter = templates.template_path("notebooks", "starter.ipynb")
    for user in hub.users:
        home = folder / "users" / user
        home.mkdir(exist_ok=True)
        if starter.exists() and not (home / "starter.ipynb").exists():
            shutil.copyfile(starter, home / "starter.ipynb")
    settings = {
        "folder": str(folder), "ip": hub.ip, "port": hub.port, "hub_port": _free_port(),
        "proxy": proxy, "proxy_api_port": _free_port(), "password": hub.password,
        "users": sorted(hub.users), "groups": hub.groups(), "hub_admins": hub.hub_admins(),
        "shared_home": str(shared), "registry": registry, "user_config": str(user_config),
        "api_token": hub.api_token,
    }
    (folder / "bighead_hub.json").write_text(json.dumps(settings, indent=2))
    server_config = {"BigheadApp": {"home": str(shared), "registry_url": registry,
                                    "roles": dict(hub.roles)}}
    (user_config / "jupyter_server_config.json").write_text(json.dumps(server_config,
                                                                        indent=2))
    config = folder / "jupyterhub_config.py"
    shutil.copyfile(templates.template_path("jupyterhub", "local_hub_config.py"), config)
    return config


@contextmanager
def _registry(hub: LocalHub) -> Iterator[str]:
    if hub.registry:
        yield hub.registry
        return
    from .postgres import postgres_server

    try:
        with postgres_server() as uri:
            yield uri
    except RuntimeError as exc:  # binaries missing or the server did not start
        raise DependencyError(str(exc)) from exc


def run(hub: LocalHub, *, echo: bool = True) -> int:
    """Run the hub until it stops or this process is interrupted; return its exit status.

    Raises
    ------
    DependencyError
        When JupyterHub, configurable-http-proxy or PostgreSQL is missing (the message
        says how to install it).
    """
    try:
        import jupyterhub  # noqa: F401
    except ImportError as exc:
        raise DependencyError("JupyterHub is not installed: pip install 'jupyter-bighead[hub]'"
                              ) from exc
    proxy = find_proxy()
    with _registry(hub) as registry:
        config = write_config(hub, registry, proxy)
        if echo:
            print(f"jupyter bighead hub: {hub.url} (users: {', '.join(sorted(hub.users))}; "
                  f"password: {hub.password}); shared registry: PostgreSQL; "
                  f"folder: {hub.folder}", file=sys.stderr, flush=True)
        child = subprocess.Popen([sys.executable, "-m", "jupyterhub", "-f", str(config)],
                                 cwd=hub.folder, start_new_session=True)

        def stop(signum: int, _frame: object) -> None:
            child.send_signal(signal.SIGTERM)

        previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            return child.wait()
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler)
            if child.poll() is None:
                child.terminate()
                try:
                    child.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    child.kill()
            _stop_leftovers(child.pid)


def _stop_leftovers(pgid: int) -> None:
    """Users' servers and the proxy are in the hub's session: stop what is left of it."""
    try:
        os.killpg(pgid, signal.SIGTERM)
    except (ProcessLookupError, PermissionError):
        return
