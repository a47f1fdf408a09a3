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


class TestRoles:
    """A team server tells its kernels the roles, so the Python API refuses what the lab
    would (tests/test_roles_python.py); its own process checks each request instead."""

    ROLES = {"*": "viewer", "user:dana": "data_scientist"}

    @pytest.fixture
    def jp_server_config(self, bighead_home):
        return {
            "ServerApp": {"jpserver_extensions": {"jupyter_bighead_server": True}},
            "BigheadApp": {"home": str(bighead_home), "roles": self.ROLES},
        }

    async def test_kernels_see_the_roles(self, jp_fetch):
        import jupyter_bighead.roles as roles

        await jp_fetch("bighead", "api", "status")
        assert json.loads(os.environ[roles.ROLES_ENV]) == self.ROLES
        assert roles._server_checks and not roles.current_map().configured


class TestSingleUser:
    @pytest.fixture
    def jp_server_config(self, bighead_home, monkeypatch):
        monkeypatch.setenv("BIGHEAD_ROLES", '{"*": "viewer"}')  # stale, from a parent
        return {"ServerApp": {"jpserver_extensions": {"jupyter_bighead_server": True}},
                "BigheadApp": {"home": str(bighead_home)}}

    async def test_a_single_user_server_exports_no_roles(self, jp_fetch):
        await jp_fetch("bighead", "api", "status")
        assert "BIGHEAD_ROLES" not in os.environ
