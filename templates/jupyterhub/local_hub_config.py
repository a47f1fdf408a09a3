# jupyterhub_config.py for `jupyter bighead hub`: a multi-user JupyterHub on one machine.
#
# Written by jupyter-bighead from templates/jupyterhub/local_hub_config.py; the values
# come from bighead_hub.json beside this file (plain data). Rerun `jupyter bighead hub`
# to write both afresh.
import json
import os
import sys

with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "bighead_hub.json")) as f:
    SETTINGS = json.load(f)

c = get_config()  # noqa: F821 - JupyterHub's config loader defines get_config
c.JupyterHub.ip = SETTINGS["ip"]
c.JupyterHub.port = SETTINGS["port"]
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = SETTINGS["hub_port"]
c.JupyterHub.db_url = "sqlite:///" + os.path.join(SETTINGS["folder"], "jupyterhub.sqlite")
c.JupyterHub.cookie_secret_file = os.path.join(SETTINGS["folder"], "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = os.path.join(SETTINGS["folder"], "jupyterhub.pid")
c.ConfigurableHTTPProxy.command = [SETTINGS["proxy"]]
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{SETTINGS['proxy_api_port']}"
c.ConfigurableHTTPProxy.pid_file = os.path.join(SETTINGS["folder"], "proxy.pid")

# Demo users sign in with one shared password: for trying the team set-up, never for
# a hub other people can reach.
c.JupyterHub.authenticator_class = "dummy"
c.DummyAuthenticator.password = SETTINGS["password"]
c.Authenticator.allowed_users = set(SETTINGS["users"])
c.Authenticator.admin_users = set(SETTINGS["hub_admins"])
c.JupyterHub.load_groups = {g: {"users": users} for g, users in SETTINGS["groups"].items()}

# Each user's server is a local process in its own folder, with the Bighead extension
# on the team's shared stores (see user-config/jupyter_server_config.json).
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = os.path.join(
    SETTINGS["folder"], "users", "{username}")
c.Spawner.cmd = [sys.executable, "-m", "jupyterhub.singleuser"]
c.Spawner.args = ["--allow-root"] if os.geteuid() == 0 else []
c.Spawner.default_url = "/lab"


def _groups(spawner):
    """The user's JupyterHub groups, for the roles of writes from their kernels."""
    return ",".join(sorted(group.name for group in spawner.user.groups))


c.Spawner.environment = {
    "BIGHEAD_GROUPS": _groups,
    "BIGHEAD_HOME": SETTINGS["shared_home"],
    "BIGHEAD_REGISTRY": SETTINGS["registry"],
    "JUPYTER_CONFIG_PATH": SETTINGS["user_config"],
}
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120

# An API token for scripts that drive this hub (tests, automation), if one was given.
if SETTINGS.get("api_token"):
    c.JupyterHub.services = [{"name": "bighead-driver", "api_token": SETTINGS["api_token"]}]
    c.JupyterHub.load_roles = [{
        "name": "bighead-driver",
        "scopes": ["admin:users", "admin:servers", "tokens", "read:users", "read:groups"],
        "services": ["bighead-driver"],
    }]
