"""A wrong admin setting: traitlets does not keep the refused value, the server logs an
ERROR naming the setting at start, and every Bighead request answers 500 saying so (not
a 400, which would blame the user). The rest of Jupyter keeps working."""

from __future__ import annotations

import json
import logging
import subprocess
import sys

import pytest
from tornado.httpclient import HTTPClientError
from traitlets import TraitError
from traitlets.config import Config

from jupyter_bighead import plugins
from jupyter_bighead_server import checks
from jupyter_bighead_server.app import BigheadApp

CASES = {
    "executor": ({"executor": "nope"},
                 "c.BigheadApp.executor: 'nope' is not one of kubernetes, local"),
    "deploy_target": ({"deploy_target": "nowhere"},
                      "c.BigheadApp.deploy_target: 'nowhere' is not one of kubernetes, local"),
    "dask": ({"dask": "tcp://scheduler:99999"}, "c.BigheadApp.dask: cluster address "
             "'tcp://scheduler:99999' has no valid port"),
    "max_body_bytes": ({"max_body_bytes": 0}, "c.BigheadApp.max_body_bytes: 0 is not >= 1"),
    "roles": ({"roles": {"ana": "superuser"}}, "c.BigheadApp.roles: roles['ana']: unknown "
              "role 'superuser'; known: viewer, data_scientist, reviewer, admin"),
    "executor_options": ({"executor_options": {"bogus": 1}},
                         "c.BigheadApp.executor_options: the executor 'local' does not take "
                         "bogus (it takes max_concurrent, gpus)"),
    "deploy_target_options": (
        {"deploy_target_options": {"colour": "red"}},
        "c.BigheadApp.deploy_target_options: the deploy target 'local' does not take colour"),
    "deploy_options": ({"deploy_options": {"kubernetes": {"replicas": 2}}},
                       "c.BigheadApp.deploy_options['kubernetes']: the deploy target "
                       "'kubernetes' does not take replicas"),
    "deploy_options_name": ({"deploy_options": {"nowhere": {}}},
                            "c.BigheadApp.deploy_options: 'nowhere' is not a deploy target"),
    "registry_url": ({"registry_url": "mysql://admin:s3cret@db/models"},
                     "c.BigheadApp.registry_url: 'mysql://admin:***@db/models' names no "
                     "registry store"),
    "registry_store_options": ({"registry_store_options": {"pool": 4}},
                               "c.BigheadApp.registry_store_options: the registry store "
                               "'sqlite' does not take pool"),
}


@pytest.fixture(params=sorted(CASES))
def case(request):
    return CASES[request.param]


class Collect(logging.Handler):
    """Keeps the ERROR lines of the extension's log (traitlets' "BigheadApp" logger,
    which does not propagate to pytest's capture), installed through its logging_config."""

    messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.ERROR:
            Collect.messages.append(record.getMessage())


@pytest.fixture
def errors_logged():
    Collect.messages = []
    return Collect.messages


@pytest.fixture
def jp_server_config(bighead_home, case, errors_logged):
    return {
        "ServerApp": {"jpserver_extensions": {"jupyter_bighead_server": True}},
        "BigheadApp": {"home": str(bighead_home), "deploy_supervise_seconds": 0.0,
                       "logging_config": {
                           "handlers": {"collect": {"class": f"{__name__}.Collect"}},
                           "loggers": {"BigheadApp": {"handlers": ["console", "collect"]}}},
                       **case[0]},
    }


async def answer(jp_fetch, *parts):
    with pytest.raises(HTTPClientError) as failed:
        await jp_fetch("bighead", "api", *parts)
    return failed.value.code, json.loads(failed.value.response.body)


async def test_a_wrong_setting_is_an_error_at_start_and_a_500_naming_it(
        jp_fetch, jp_serverapp, case, errors_logged):
    expected = case[1]
    service = jp_serverapp.web_app.settings["bighead"]
    assert any(expected in p for p in service.config.misconfigured), \
        service.config.misconfigured
    assert any("server misconfigured" in m and expected in m for m in errors_logged), \
        errors_logged
    for parts in (("status",), ("jobs",), ("models",), ("deployments",)):
        code, body = await answer(jp_fetch, *parts)
        assert code == 500, (parts, body)
        assert body["error"] == "server_misconfigured"
        assert body["message"].startswith("server misconfigured: c.BigheadApp."), body
        assert expected in body["message"]
        assert "s3cret" not in body["message"]
    # Only what the admin set is named (not home, profiles or max_concurrent).
    assert "home" not in body["message"] and "profiles" not in body["message"]
    assert not service.tasks and not service.imports.started
    # The rest of the server works.
    assert (await jp_fetch("api", "status")).code == 200
    # Unauthenticated requests learn nothing about the settings.
    with pytest.raises(HTTPClientError) as refused:
        await jp_fetch("bighead", "api", "status", headers={"Authorization": ""})
    assert refused.value.code == 403 and b"c.BigheadApp" not in refused.value.response.body


@pytest.mark.parametrize("name", ["executor", "deploy_target", "max_body_bytes", "roles"])
def test_traitlets_does_not_keep_a_refused_value(name):
    values, expected = CASES[name]
    app = BigheadApp()
    before = getattr(app, name)
    config = Config({"BigheadApp": {**values, "max_local_jobs": 7}})
    app.update_config(config)
    assert getattr(app, name) == before
    assert app.max_local_jobs == 7  # the values that are fine are kept
    assert app.setting_errors == (expected,)
    with pytest.raises(TraitError, match=r"c\.BigheadApp\."):
        BigheadApp(**values)


def test_the_core_refusing_a_setting_is_a_trait_error_too():
    app = BigheadApp()
    app.update_config(Config({"BigheadApp": {"profiles": {"gpu": {"cpu": "lots"}},
                                             "job_functions": ["not a function"]}}))
    assert app.profiles == {} and app.job_functions == []
    assert [e.split(":")[0] for e in app.setting_errors] == [
        "c.BigheadApp.profiles", "c.BigheadApp.job_functions"]


def test_good_settings_have_no_problems():
    app = BigheadApp(executor="kubernetes", executor_options={"context": "dev"},
                     deploy_options={"local": {"workers": 2}, "kubernetes": {"image": "x"}},
                     deploy_target_options={"poll_seconds": 3},
                     registry_url="postgresql://u:p@h/db",
                     registry_store_options={"connect_timeout": 2.0})
    assert app.check_settings() == ()


class TestOnTheCommandLine:
    """``jupyter server --BigheadApp.executor=nope``, the reviewer's case."""

    @pytest.fixture
    def jp_server_config(self, bighead_home):
        return {"ServerApp": {"jpserver_extensions": {"jupyter_bighead_server": True}},
                "BigheadApp": {"home": str(bighead_home), "deploy_supervise_seconds": 0.0}}

    @pytest.fixture
    def jp_argv(self):
        return ["--BigheadApp.executor=nope"]

    async def test_it_is_refused_with_a_500_not_a_400(self, jp_fetch, jp_serverapp):
        for parts in (("status",), ("jobs",)):
            code, body = await answer(jp_fetch, *parts)
            assert code == 500
            assert body["message"] == ("server misconfigured: c.BigheadApp.executor: "
                                       "'nope' is not one of kubernetes, local")


BUILTINS = [(family, name) for family in ("executor", "deploy_target", "registry_store")
            for name in sorted(plugins.family(family).builtins)]


@pytest.mark.parametrize(("family", "name"), BUILTINS)
def test_a_builtin_read_from_its_source_takes_what_its_signature_takes(family, name):
    source = checks._from_source(plugins.family(family).builtins[name])
    assert source is not None
    assert source == checks._from_signature(plugins.load(family, name))


def test_checking_the_builtins_imports_none_of_them():
    code = """
import sys
from jupyter_bighead_server.app import BigheadApp
app = BigheadApp(executor="kubernetes", executor_options={"context": "x", "bogus": 1},
                 deploy_options={"kubernetes": {"image": "y"}}, registry_url="postgresql://h/d")
problems = app.check_settings()
assert len(problems) == 1 and "bogus" in problems[0], problems
loaded = [m for m in sys.modules if m.startswith(("jupyter_bighead.jobs",
          "jupyter_bighead.serving", "jupyter_bighead.registry"))]
assert not loaded, loaded
"""
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
