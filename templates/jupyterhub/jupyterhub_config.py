# jupyterhub_config.py: JupyterHub for a Bighead team on one machine or VM.
#
# Copy this file to the hub's folder (e.g. /etc/jupyterhub/jupyterhub_config.py), edit
# the settings marked EDIT, and start the hub with `jupyterhub -f jupyterhub_config.py`.
# (To try the team set-up on a laptop, `jupyter bighead hub` writes a demo hub instead;
# on Kubernetes use values.yaml beside this file, from `jupyter bighead helm-values`.)
#
# What it sets up:
# - sign-in through the machine's accounts (PAM), or your identity provider (OAuth);
# - the team's groups, managed in the hub, and the Bighead role each group holds;
# - each user's server as a local process under their own account, with the Bighead
#   extension on the shared stores: one PostgreSQL registry and one shared folder for
#   artifacts, features, jobs, deployments, reviews and the admin's settings;
# - the users' servers' Bighead settings (roles, registry, shared home) in one
#   jupyter_server_config.json that this file writes to BIGHEAD_CONFIG_DIR when the hub
#   starts, so that this file is the one place to edit them.
# Needs: pip install jupyterhub jupyter-bighead (in the environment users' servers run
# from, too), npm install -g configurable-http-proxy, and a PostgreSQL database.
import json
import os
import sys

c = get_config()  # noqa: F821 - JupyterHub's config loader defines get_config

# -- EDIT: the team -------------------------------------------------------------------
#: Hub groups -> members. The hub manages them (add people here, or in the hub's admin
#: page); each group's Bighead role is in BIGHEAD["roles"] below.
GROUPS = {
    "data-science": ["dana", "dino"],
    "reviewers": ["rita"],
    "bighead-admins": ["ana"],
}
#: Who may administer the hub itself (users, servers): not the same as Bighead's admin role.
HUB_ADMINS = {"ana"}

# -- EDIT: the shared stores and the Bighead settings of every user's server ----------
#: A folder every user's account can read and write (e.g. an NFS mount, group-writable):
#: artifacts, the feature catalog, job and deployment records, reviews, admin settings.
SHARED_HOME = os.environ.get("BIGHEAD_SHARED_HOME", "/srv/bighead")
#: The team's registry (keep the password in ~/.pgpass or a service file, not here).
REGISTRY_URL = os.environ.get("BIGHEAD_REGISTRY_URL",
                              "postgresql://bighead@db.example.internal:5432/bighead")
#: Where the users' servers find their Bighead settings (a folder on JUPYTER_CONFIG_PATH).
CONFIG_DIR = os.environ.get("BIGHEAD_CONFIG_DIR", "/etc/bighead")

BIGHEAD = {
    "home": SHARED_HOME,
    "registry_url": REGISTRY_URL,
    # Hub groups (and users) -> roles: viewer, data_scientist, reviewer, admin.
    "roles": {
        "*": "viewer",  # everyone signed in reads
        "group:data-science": "data_scientist",
        "group:reviewers": "reviewer",
        "group:bighead-admins": "admin",
    },
    # Moving these aliases needs an approved review (or an admin).
    "protected_aliases": ["production"],
    # Compute profiles and kernel images seed the admin store on the first start; from
    # then on admins edit them in the lab's Admin section.
    "profiles": {"default": {"cpu": "2", "memory": "4Gi",
                             "description": "2 CPU, 4 GiB, no GPU"}},
}

# -- Sign-in ----------------------------------------------------------------------------
# The machine's accounts (each user is a Unix account: the local spawner below runs
# their server as that account).
c.JupyterHub.authenticator_class = "pam"
# Or your identity provider (pip install oauthenticator), e.g. GitHub or any OIDC:
# c.JupyterHub.authenticator_class = "oauthenticator.generic.GenericOAuthenticator"
# c.GenericOAuthenticator.client_id = "..."
# c.GenericOAuthenticator.client_secret = "..."
# c.GenericOAuthenticator.oauth_callback_url = "https://hub.example/hub/oauth_callback"
# c.GenericOAuthenticator.authorize_url = "https://id.example/authorize"
# c.GenericOAuthenticator.token_url = "https://id.example/token"
# c.GenericOAuthenticator.userdata_url = "https://id.example/userinfo"
# c.GenericOAuthenticator.manage_groups = True  # groups from the provider's claim
# c.GenericOAuthenticator.auth_state_groups_key = "oauth_user.groups"
# (then drop load_groups below: the provider's groups are the hub's groups)
c.Authenticator.allowed_users = {user for members in GROUPS.values() for user in members}
c.Authenticator.admin_users = set(HUB_ADMINS)

# -- Groups: managed by the hub, read by Bighead ----------------------------------------
c.JupyterHub.load_groups = {group: {"users": list(members)}
                            for group, members in GROUPS.items()}

# -- Each user's server: a local process under their account ----------------------------
c.JupyterHub.spawner_class = "jupyterhub.spawner.LocalProcessSpawner"
c.Spawner.cmd = [sys.executable, "-m", "jupyterhub.singleuser"]
c.Spawner.default_url = "/lab"
c.Spawner.notebook_dir = "~"  # each user's own files; the shared stores are SHARED_HOME


def bighead_groups(spawner):
    """The user's hub groups, comma-separated: the Python API in their kernels checks
    the roles of writes to the shared stores against them (the server checks REST)."""
    return ",".join(sorted(group.name for group in spawner.user.groups))


c.Spawner.environment = {
    "BIGHEAD_GROUPS": bighead_groups,  # JupyterHub calls it with the spawner
    "BIGHEAD_HOME": SHARED_HOME,
    "BIGHEAD_REGISTRY": REGISTRY_URL,
    "JUPYTER_CONFIG_PATH": CONFIG_DIR,
}

# -- The users' servers' Bighead settings ------------------------------------------------
# Written when the hub starts, readable by every user's server (they load it through
# JUPYTER_CONFIG_PATH); the hub's account needs write access to CONFIG_DIR.
os.makedirs(CONFIG_DIR, exist_ok=True)
with open(os.path.join(CONFIG_DIR, "jupyter_server_config.json"), "w") as f:
    json.dump({"BigheadApp": BIGHEAD}, f, indent=2, sort_keys=True)
