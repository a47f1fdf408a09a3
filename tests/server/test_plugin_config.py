"""Plugin families in the server's config: ``c.BigheadApp.<family>`` names a plugin
(checked against the installed ones), ``<family>_options`` are its keyword arguments,
and the older backend-specific settings keep working."""

from __future__ import annotations

import pytest

from .test_lifecycle import service_of, start_extensions


@pytest.fixture
def jp_server_config(bighead_home):
    return {
        "ServerApp": {"jpserver_extensions": {"jupyter_bighead_server": True}},
        "BigheadApp": {"home": str(bighead_home), "deploy_supervise_seconds": 0.0,
                       "executor_options": {"max_concurrent": 5},
                       "deploy_target_options": {"poll_seconds": 7},
                       "deploy_options": {"local": {"workers": 2, "poll_seconds": 1}}},
    }


async def test_plugin_options_reach_the_executor_and_deploy_target(jp_fetch, jp_serverapp):
    await start_extensions(jp_serverapp)
    service = service_of(jp_serverapp)
    assert [t.name for t in service.tasks] == ["bighead-schedule-watch"]  # no supervisor
    assert service.config.deploy_options == {"local": {"workers": 2, "poll_seconds": 7}}
    service.imports.wait()
    executor = service.jobs()
    assert executor.max_concurrent == 5  # executor_options win over max_local_jobs (2)
    assert service.jobs() is executor  # one per server



def test_executor_and_deploy_target_names_come_from_the_plugin_families(monkeypatch):
    from jupyter_bighead import plugins
    from jupyter_bighead_server.app import BigheadApp

    with pytest.raises(ValueError, match="'nowhere' is not one of kubernetes, local"):
        BigheadApp(executor="nowhere")
    assert BigheadApp(executor="Kubernetes").executor == "kubernetes"
    # A name an installed package declares is accepted like a built-in one.
    monkeypatch.setattr(plugins, "names",
                        lambda family: ["kubernetes", "local", "slurm"] if family == "executor"
                        else ["kubernetes", "local"])
    assert BigheadApp(executor="slurm").executor == "slurm"
    with pytest.raises(ValueError, match=r"is not one of kubernetes, local$"):
        BigheadApp(deploy_target="slurm")
