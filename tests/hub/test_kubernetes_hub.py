"""JupyterHub on Kubernetes from Bighead's own profiles: KubeSpawner's profile list (checked
by KubeSpawner's own code) and Zero-to-JupyterHub values (checked against the chart's
schema over the chart's defaults, as Helm validates: tests/hub/z2jh/values.schema.json and
values.yaml, from jupyterhub/zero-to-jupyterhub-k8s at 48ea50e3, BSD-3-Clause, see
tests/hub/z2jh/LICENSE; the schema's descriptions trimmed as the chart's
tools/generate-json-schema.py does)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

from jupyter_bighead.errors import InvalidSpec
from jupyter_bighead.hub.kubernetes import (
    config_map,
    helm_values,
    profile_list,
    profile_list_from_config,
)

PROFILES = {
    "small": {"cpu": "500m", "memory": "1Gi", "description": "for notebooks"},
    "gpu": {"cpu": "4", "memory": "16Gi", "gpu": 1, "image": "bighead-cuda:1",
            "node_selector": {"pool": "gpu"},
            "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists"}]},
}
KERNELS = {"python3": "bighead:py311", "Spark 3": "bighead-spark:3"}
Z2JH = Path(__file__).parent / "z2jh"
SCHEMA = json.loads((Z2JH / "values.schema.json").read_text())
#: The chart's own defaults: Helm validates the merge of these and the user's values.
DEFAULTS = yaml.safe_load((Z2JH / "values.yaml").read_text())


def merged(values, defaults=DEFAULTS):
    """Helm's merge: mappings merge key by key, anything else replaces."""
    out = dict(defaults)
    for key, value in values.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merged(value, out[key])
        else:
            out[key] = value
    return out


def validate(values):
    jsonschema.validate(merged(values), SCHEMA)


@pytest.fixture(autouse=True)
def _kubeconfig(request):
    """KubeSpawner loads a kubeconfig when it is made: the real kube-apiserver of the
    Kubernetes tests serves (nothing is spawned: load_user_options only applies a
    profile)."""
    if "profile" in request.node.name or "kernel" in request.node.name or \
            "restart" in request.node.name:
        request.getfixturevalue("kube")


def spawner(profiles):
    import kubespawner

    return kubespawner.KubeSpawner(_mock=True, profile_list=profiles)


async def _spawn_with(profiles, options):
    s = spawner(profiles)
    s.user_options = options
    await s.load_user_options()
    return s


async def test_kubespawner_applies_a_profile_as_bighead_defines_it():
    s = await _spawn_with(profile_list(PROFILES, KERNELS), {"profile": "gpu"})
    assert s.image == "bighead-cuda:1"  # its own image: no kernel-image choice
    assert s.cpu_limit == 4.0 and s.cpu_guarantee == 4.0
    assert s.mem_limit == 16 * 2**30 and s.mem_guarantee == 16 * 2**30
    assert s.extra_resource_limits == {"nvidia.com/gpu": "1"}
    assert s.node_selector == {"pool": "gpu"}
    assert s.tolerations == [{"key": "nvidia.com/gpu", "operator": "Exists"}]
    assert s.environment["BIGHEAD_PROFILE"] == "gpu"


async def test_a_kernel_image_is_a_choice_within_each_profile():
    options = {"profile": "small", "image": "spark-3"}  # as the spawn form gives them
    s = await _spawn_with(profile_list(PROFILES, KERNELS), options)
    assert s.image == "bighead-spark:3"
    assert s.cpu_limit == 0.5 and s.mem_limit == 2**30
    s = await _spawn_with(profile_list(PROFILES, KERNELS), {})  # the defaults
    assert s.image == "bighead:py311" and s.cpu_limit == 0.5


async def test_the_hub_follows_the_admins_config_without_a_restart(tmp_path):
    config = tmp_path / "jupyter_server_config.json"
    config.write_text(json.dumps({"BigheadApp": {"profiles": {"small": PROFILES["small"]}}}))
    build = profile_list_from_config(config)
    with pytest.raises(Exception, match="gpu"):
        await _spawn_with(build, {"profile": "gpu"})
    config.write_text(json.dumps({"BigheadApp": {"profiles": PROFILES}}))
    s = await _spawn_with(build, {"profile": "gpu"})  # the same callable, no restart
    assert s.extra_resource_limits == {"nvidia.com/gpu": "1"}


async def test_the_hub_follows_the_admin_store_over_the_config_without_a_restart(tmp_path):
    from jupyter_bighead.admin import AdminSettings

    home = tmp_path / "shared"
    config = tmp_path / "jupyter_server_config.json"
    config.write_text(json.dumps({"BigheadApp": {"profiles": {"small": PROFILES["small"]},
                                                 "home": str(home)}}))
    build = profile_list_from_config(config)
    assert [e["slug"] for e in build(None)] == ["small"]  # no store yet: the config
    store = AdminSettings.open(home, seed_profiles={"small": PROFILES["small"]})
    store.put_profile("gpu", PROFILES["gpu"], user="admin")  # the lab's Admin section
    store.put_kernel_image("python3", "bighead:py312", user="admin")
    s = await _spawn_with(build, {"profile": "gpu"})  # the same callable, no restart
    assert s.extra_resource_limits == {"nvidia.com/gpu": "1"}
    s = await _spawn_with(build, {"profile": "small"})
    assert s.image == "bighead:py312"  # the store's kernel image, not the config's none


def test_without_profiles_the_builtin_default_is_offered():
    [entry] = profile_list(None)
    assert entry["slug"] == "default" and entry["default"] is True
    assert entry["kubespawner_override"]["mem_limit"] == 2 * 2**30


def test_bad_profiles_are_refused_naming_them():
    with pytest.raises(InvalidSpec, match="profile 'x' has unknown keys"):
        profile_list({"x": {"cpus": 2}})
    with pytest.raises(InvalidSpec, match="profile 'y'"):
        profile_list({"y": {"cpu": "lots"}})


def test_helm_values_pass_the_charts_schema_and_carry_the_config():
    server = {"profiles": PROFILES, "kernel_images": KERNELS,
              "roles": {"group:ds": "data_scientist"},
              "registry_url": "postgresql://bighead@db/registry"}
    values = helm_values(server, image="registry.example/bighead:0.4")
    validate(values)
    assert "profile_list_from_config" in values["hub"]["extraConfig"]["bighead"]
    assert values["singleuser"]["extraEnv"]["BIGHEAD_REGISTRY"] == server["registry_url"]
    assert values["singleuser"]["image"] == {"name": "registry.example/bighead", "tag": "0.4"}
    stored = json.loads(next(iter(config_map(server)["data"].values())))["BigheadApp"]
    assert stored["profiles"] == PROFILES and stored["roles"] == server["roles"]
    with pytest.raises(jsonschema.ValidationError):  # the schema can fail: a typo'd key
        validate({**values, "singleusr": {}})


def test_the_cli_writes_values_and_the_config_map(tmp_path):
    config = tmp_path / "jupyter_server_config.json"
    config.write_text(json.dumps({"BigheadApp": {"profiles": PROFILES}}))
    out = tmp_path / "helm"
    done = subprocess.run([sys.executable, "-m", "jupyter_bighead.cli", "helm-values",
                           str(out), "--server-config", str(config)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    values = yaml.safe_load((out / "values.yaml").read_text())
    validate(values)
    cm = yaml.safe_load((out / "bighead-config.yaml").read_text())
    assert cm["kind"] == "ConfigMap" and "jupyter_server_config.json" in cm["data"]
    bad = subprocess.run([sys.executable, "-m", "jupyter_bighead.cli", "helm-values",
                          str(out), "--server-config", str(tmp_path / "missing.json")],
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 1 and "no Bighead config at" in bad.stderr


async def test_the_hub_config_gives_each_users_server_their_groups_and_the_profile_list():
    from types import SimpleNamespace

    from traitlets.config import Config

    c = Config()
    exec(helm_values({"profiles": PROFILES})["hub"]["extraConfig"]["bighead"], {"c": c})
    import kubespawner

    s = kubespawner.KubeSpawner(_mock=True, config=c)
    assert callable(s.profile_list)
    s.user.groups = [SimpleNamespace(name="reviewers"), SimpleNamespace(name="data-science")]
    env = s.get_env()  # KubeSpawner calls callable values with the spawner
    assert env["BIGHEAD_GROUPS"] == "data-science,reviewers"


HOSTILE = '<img src=x onerror="alert(1)">'


async def test_the_spawn_form_shows_an_admins_profile_description_as_text(tmp_path):
    """An admin's description (PUT /admin/profiles/NAME) and a config's kernel name reach
    KubeSpawner's form, which Jinja renders without autoescaping: they come out as text."""
    from jupyter_bighead.admin import AdminSettings

    home = tmp_path / "shared"
    config = tmp_path / "jupyter_server_config.json"
    config.write_text(json.dumps({"BigheadApp": {"home": str(home)}}))
    store = AdminSettings.open(home, seed_profiles={"small": PROFILES["small"]})
    store.put_profile("gpu", {**PROFILES["gpu"], "description": HOSTILE}, user="admin")
    s = spawner(profile_list_from_config(config))
    form = await s.get_options_form()  # as JupyterHub asks for it, then inserts it as is
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in form.replace("&quot;", "&#34;")
    assert "<img" not in form and "onerror=\"" not in form
    kernels = {'py<b onmouseover="x">3': "bighead:py311"}
    form = await spawner(profile_list(PROFILES, kernels)).get_options_form()
    assert "&lt;b onmouseover=" in form and "<b onmouseover" not in form
    s = await _spawn_with(profile_list(PROFILES, kernels), {"profile": "small"})
    assert s.image == "bighead:py311"  # escaping the display text changes no choice


def test_a_profile_name_that_is_not_a_slug_is_refused_for_the_form():
    with pytest.raises(InvalidSpec, match="spawn form's slug"):
        profile_list({'a" onclick="x': {"cpu": "1", "memory": "1Gi"}})
