"""What kernels the server starts learn for the `kubernetes` cluster setting: the admin's
profiles and the kubernetes executor's namespace (as $BIGHEAD_PROFILES and $BIGHEAD_K8S)."""

from __future__ import annotations

import json
import os

import pytest

PROFILES = {"gpu": {"cpu": "4", "memory": "16Gi", "gpu": 1, "image": "bighead-cuda:1"}}


@pytest.fixture
def jp_server_config(bighead_home):
    return {
        "ServerApp": {"jpserver_extensions": {"jupyter_bighead_server": True}},
        "BigheadApp": {"home": str(bighead_home), "dask": "kubernetes:gpu:2",
                       "profiles": PROFILES, "k8s_namespace": "team-ml"},
    }


async def test_kernels_see_the_profiles_and_the_kubernetes_namespace(jp_fetch):
    status = json.loads((await jp_fetch("bighead", "api", "cluster")).body)
    assert status["kind"] == "kubernetes"
    assert os.environ["BIGHEAD_DASK"] == "kubernetes:gpu:2"
    assert json.loads(os.environ["BIGHEAD_PROFILES"]) == PROFILES
    assert json.loads(os.environ["BIGHEAD_K8S"]) == {"namespace": "team-ml"}
    from jupyter_bighead.kube_dask import PROFILES_ENV

    assert PROFILES_ENV == "BIGHEAD_PROFILES"
