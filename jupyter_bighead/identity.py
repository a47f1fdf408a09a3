"""Who is acting: one answer for kernels, jobs, the registry and the server.

This module is in the bottom layer: it imports nothing from jupyter_bighead.
"""

from __future__ import annotations

import getpass
import os


def current_user() -> str:
    """The JupyterHub user under JupyterHub, else the OS user, else ``"unknown"``.

    The server names REST requests the same way, so a user's jobs from a kernel and from
    the lab count against the same per-user limits, and a model registered from either
    records the same author.
    """
    hub_user = os.environ.get("JUPYTERHUB_USER")
    if hub_user:
        return hub_user
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name and no passwd entry (a bare container)
        return os.environ.get("USER") or "unknown"
