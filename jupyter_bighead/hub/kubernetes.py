"""JupyterHub on Kubernetes: KubeSpawner's profile list and Zero-to-JupyterHub values,
generated from the compute profiles and kernel images the Bighead admin manages.

One source of truth: the hub reads the same admin store as the users' servers
(``<home>/admin/settings.json`` on the shared volume, which the servers seed once from
``BigheadApp.profiles`` and ``BigheadApp.kernel_images`` and the lab's *Admin* section
edits), through :func:`profile_list_from_config`, a callable KubeSpawner calls at each
spawn; before any server has seeded the store, the config both mount stands in for it.
An admin's edit shows in *Start my server* without restarting the hub.
"""

from __future__ import annotations

import copy
import html
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from jupyter_bighead.admin import DEFAULT_PROFILES, AdminSettings, ComputeProfile
from jupyter_bighead.admin.profiles import PROFILE_NAME
from jupyter_bighead.errors import InvalidSpec
from jupyter_bighead.kube import DEFAULT_IMAGE
from jupyter_bighead.resources import parse_quantity

#: Where the chart's hub and users' pods find the shared Bighead config (a ConfigMap).
CONFIG_MOUNT = "/etc/bighead/jupyter_server_config.json"
#: The shared stores' mount in every user's pod (a ReadWriteMany volume).
SHARED_MOUNT = "/srv/bighead"


def _profiles(profiles: Mapping[str, Any] | None) -> list[ComputeProfile]:
    if not profiles:
        return list(DEFAULT_PROFILES.values())
    out = []
    for name, spec in profiles.items():
        if not isinstance(spec, Mapping):
            raise InvalidSpec(f"profile {name!r} must be a mapping")
        out.append(ComputeProfile.from_dict(str(name), spec))
    return out


def _cpu(text: str) -> float:
    return float(parse_quantity(text, "cpu"))


def _bytes(text: str) -> int:
    """Memory as whole bytes: KubeSpawner reads K/M/G/T only, not Kubernetes' Gi/Mi."""
    return int(parse_quantity(text, "memory"))


def profile_entry(profile: ComputeProfile, kernel_images: Mapping[str, str], *,
                  default_image: str = DEFAULT_IMAGE, default: bool = False) -> dict[str, Any]:
    """One KubeSpawner ``profile_list`` entry: the profile's resources as guarantees and
    limits, its GPUs, placement and image; a profile without an image of its own offers
    the admin's kernel images (kernelspec -> image) as a choice.

    KubeSpawner renders its spawn form with Jinja *without* autoescaping and JupyterHub
    inserts it as is, so every text that reaches the form (names, the description, the
    kernel names) is HTML-escaped here, and the slug (also in the form's attributes) must
    be a plain profile name: an admin's description is text on the page, never markup.
    """
    if not PROFILE_NAME.match(profile.name):
        raise InvalidSpec(f"profile name {profile.name[:80]!r} must be 1-63 letters, digits, "
                          "'_', '.' or '-', starting with a letter or digit (it is the "
                          "spawn form's slug)")
    override: dict[str, Any] = {
        "image": profile.image or default_image,
        "cpu_guarantee": _cpu(profile.cpu),
        "cpu_limit": _cpu(profile.cpu),
        "mem_guarantee": _bytes(profile.memory),
        "mem_limit": _bytes(profile.memory),
        "environment": {"BIGHEAD_PROFILE": profile.name},
    }
    if profile.gpu:
        override["extra_resource_limits"] = {"nvidia.com/gpu": str(profile.gpu)}
    if profile.node_selector:
        override["node_selector"] = dict(profile.node_selector)
    if profile.tolerations:
        override["tolerations"] = [dict(t) for t in profile.tolerations]
    described = profile.description or (
        f"{profile.cpu} CPU, {profile.memory}" + (f", {profile.gpu} GPU" if profile.gpu else ""))
    entry: dict[str, Any] = {
        "display_name": html.escape(profile.name), "slug": profile.name,
        "description": html.escape(described),
        "kubespawner_override": override,
    }
    if default:
        entry["default"] = True
    if kernel_images and not profile.image:
        choices: dict[str, dict[str, Any]] = {
            _slug(kernel): {"display_name": html.escape(kernel),
                            "kubespawner_override": {"image": image}}
            for kernel, image in kernel_images.items()  # the admin's order: first is default
        }
        first = next(iter(choices))
        choices[first]["default"] = True
        entry["profile_options"] = {
            "image": {"display_name": "Kernel image", "choices": choices}}
    return entry


def _slug(text: str) -> str:
    slug = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in text.lower())
    if not slug:
        raise InvalidSpec(f"kernel name {text!r} gives an empty slug")
    return slug


def profile_list(profiles: Mapping[str, Any] | None,
                 kernel_images: Mapping[str, str] | None = None, *,
                 default_image: str = DEFAULT_IMAGE) -> list[dict[str, Any]]:
    """KubeSpawner's ``profile_list`` from Bighead's profiles (``c.BigheadApp.profiles``;
    none: the built-in ``default``) and kernel images (``c.BigheadApp.kernel_images``).
    The first profile is the default."""
    images = dict(kernel_images or {})
    return [profile_entry(p, images, default_image=default_image, default=i == 0)
            for i, p in enumerate(_profiles(profiles))]


def read_server_config(path: str | Path) -> dict[str, Any]:
    """``BigheadApp`` settings from a ``jupyter_server_config.json``."""
    try:
        data = json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise InvalidSpec(f"no Bighead config at {path}") from None
    except ValueError as exc:
        raise InvalidSpec(f"{path} is not JSON: {exc}") from exc
    app = data.get("BigheadApp", {}) if isinstance(data, dict) else {}
    if not isinstance(app, dict):
        raise InvalidSpec(f"{path}: BigheadApp must be an object")
    return app


def profile_list_from_config(path: str | Path = CONFIG_MOUNT, *,
                             default_image: str = DEFAULT_IMAGE,
                             home: str | Path | None = None
                             ) -> Callable[[Any], list[dict[str, Any]]]:
    """A callable for ``c.KubeSpawner.profile_list``, called at every spawn: the admin
    store's profiles and kernel images under ``home`` (default: the config's ``home``,
    else :data:`SHARED_MOUNT`) once a server has seeded it, else the config's at
    ``path``. Either way the profiles users see follow the admin without a hub restart."""

    def build(_spawner: Any) -> list[dict[str, Any]]:
        app = read_server_config(path)
        store = AdminSettings(Path(home or app.get("home") or SHARED_MOUNT))
        if store.exists:  # the store wins over the config, as on the users' servers
            return [profile_entry(p, store.kernel_images(), default_image=default_image,
                                  default=i == 0)
                    for i, p in enumerate(store.profiles().values())]
        return profile_list(app.get("profiles"), app.get("kernel_images"),
                            default_image=default_image)

    return build


def helm_values(server_config: Mapping[str, Any], *, image: str = DEFAULT_IMAGE,
                shared_claim: str = "bighead-shared") -> dict[str, Any]:
    """Zero-to-JupyterHub ``values.yaml`` for a Bighead team.

    The Bighead config (profiles, kernel images, roles, registry URL) goes into a
    ConfigMap the hub and every user's pod mount at :data:`CONFIG_MOUNT`; the hub builds
    ``profile_list`` from it and from the admin store at each spawn; users' pods (and the
    hub, read-only, for the admin store) mount the shared stores (a ReadWriteMany claim,
    ``shared_claim``) at :data:`SHARED_MOUNT`. The hub's image needs
    jupyter-bighead installed (``pip install jupyter-bighead``) for the profile list.
    """
    app = dict(server_config)
    app.setdefault("home", SHARED_MOUNT)
    profile_list(app.get("profiles"), app.get("kernel_images"), default_image=image)  # check
    extra_config = (
        "from jupyter_bighead.hub.kubernetes import profile_list_from_config\n"
        f"c.KubeSpawner.profile_list = profile_list_from_config({CONFIG_MOUNT!r}, "
        f"default_image={image!r})\n"
        # The user's hub groups, for the roles a kernel's Python API checks.
        "c.KubeSpawner.environment.update({'BIGHEAD_GROUPS': lambda spawner: "
        "','.join(sorted(g.name for g in spawner.user.groups))})\n"
    )
    config_volume = {"name": "bighead-config", "configMap": {"name": "bighead-config"}}
    config_mount = {"name": "bighead-config", "mountPath": str(Path(CONFIG_MOUNT).parent),
                    "readOnly": True}
    shared_volume = {"name": "bighead-shared",
                     "persistentVolumeClaim": {"claimName": shared_claim}}
    env = {"BIGHEAD_HOME": SHARED_MOUNT, "JUPYTER_CONFIG_PATH": str(Path(CONFIG_MOUNT).parent)}
    if app.get("registry_url"):
        env["BIGHEAD_REGISTRY"] = str(app["registry_url"])
    return {
        "hub": {
            "extraConfig": {"bighead": extra_config},
            "extraVolumes": [config_volume, shared_volume],
            "extraVolumeMounts": [config_mount, {"name": "bighead-shared", "readOnly": True,
                                                 "mountPath": SHARED_MOUNT}],
        },
        "singleuser": {
            "image": {"name": image.rsplit(":", 1)[0],
                      "tag": image.rsplit(":", 1)[1] if ":" in image else "latest"},
            "extraEnv": env,
            "storage": {  # copies, so that YAML writes them out rather than as aliases
                "extraVolumes": [copy.deepcopy(config_volume), copy.deepcopy(shared_volume)],
                "extraVolumeMounts": [dict(config_mount), {"name": "bighead-shared",
                                                           "mountPath": SHARED_MOUNT}],
            },
        },
    }


def config_map(server_config: Mapping[str, Any], *, name: str = "bighead-config"
               ) -> dict[str, Any]:
    """The ConfigMap :func:`helm_values` mounts: the Bighead config as the users' servers
    and the hub read it (apply it beside the Helm release)."""
    app = dict(server_config)
    app.setdefault("home", SHARED_MOUNT)
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name},
            "data": {Path(CONFIG_MOUNT).name: json.dumps({"BigheadApp": app}, indent=2,
                                                         sort_keys=True)}}


def to_yaml(data: Any) -> str:
    """``data`` as YAML for people to read: keys in their order, multi-line text (the
    hub's ``extraConfig``) as literal blocks."""
    import yaml

    class _Dumper(yaml.SafeDumper):
        pass

    def text(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
        style = "|" if "\n" in value else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    _Dumper.add_representer(str, text)
    return str(yaml.dump(data, Dumper=_Dumper, sort_keys=False, width=100))
