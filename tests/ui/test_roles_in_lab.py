"""Roles in the lab: a viewer sees Deploy, Run remotely and the alias buttons disabled,
each saying on hover which role would allow it (the server's own wording).

The server's user is its owner (jupyter_server's token identity, see handlers/base.py
``username()``): ``c.BigheadApp.roles`` makes that user a viewer. With no roles config
(the other browser tests) the same buttons are enabled and used.
"""

from __future__ import annotations

import json
import re
import urllib.request
from collections.abc import Iterator

import pytest
from nbformat.v4 import new_code_cell
from playwright.sync_api import Page, expect

from .conftest import Lab, screenshot, start_lab
from .test_deploy import _register
from .test_productionize import open_notebook, write_notebook
from .test_sidebar import open_bighead

NEEDS_WRITER = "needs the role data_scientist or admin"


def _owner() -> str:
    from jupyter_bighead.identity import current_user

    return current_user()


def _contains(text: str) -> re.Pattern[str]:
    return re.compile(re.escape(text))


@pytest.fixture(scope="module")
def viewer_lab(tmp_path_factory) -> Iterator[Lab]:
    """A lab whose one user (the server's owner) holds only the viewer role."""
    from jupyter_bighead.identity import current_user

    root = tmp_path_factory.mktemp("lab-viewer")
    config_dir = root / "jupyter-config"  # start_lab's JUPYTER_CONFIG_DIR
    config_dir.mkdir(parents=True)
    (config_dir / "jupyter_server_config.json").write_text(json.dumps(
        {"BigheadApp": {"roles": {f"user:{current_user()}": "viewer"}}}))
    labs = start_lab(root)
    lab = next(labs)
    yield lab
    next(labs, None)  # stops the lab


def test_the_server_says_the_owner_is_a_viewer(viewer_lab):
    from jupyter_bighead.identity import current_user

    req = urllib.request.Request(viewer_lab.url + "bighead/api/status",
                                 headers={"Authorization": f"token {viewer_lab.token}"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        user = json.loads(resp.read())["user"]
    assert (user["name"], user["roles"], user["team"]) == (current_user(), ["viewer"], True)


def test_a_viewer_sees_deploy_and_alias_moves_disabled_with_the_role_on_hover(
        page: Page, viewer_lab):
    _register(viewer_lab.workspace)
    open_bighead(page, viewer_lab.lab_url())
    models = page.locator('.jp-bighead-sidebar [data-section="models"]')
    models.get_by_role("button", name="Refresh models").click()
    models.locator('[data-model="ui_deploy_model"]').get_by_role("button").click()
    detail = page.locator(".jp-bighead-model-panel:not(.lm-mod-hidden)").get_by_test_id(
        "version-detail")
    expect(detail).to_be_visible(timeout=30_000)

    deploy = detail.get_by_role("button", name="Deploy…")
    expect(deploy).to_be_disabled(timeout=30_000)
    expect(deploy).to_have_attribute("title", f"Deploy {NEEDS_WRITER} ({_owner()} has viewer)")
    for name in ("Set staging", "Set production", "Roll back production"):
        button = detail.get_by_role("button", name=name)
        expect(button).to_be_disabled()
        expect(button).to_have_attribute("title", _contains(NEEDS_WRITER))
    screenshot(page, "roles-viewer-model")


def test_a_viewer_sees_run_remotely_disabled_with_the_role_on_hover(page: Page, viewer_lab):
    write_notebook(viewer_lab.workspace / "ui_roles.ipynb", [new_code_cell("x = 1")])
    notebook = open_notebook(page, viewer_lab, "ui_roles.ipynb")
    run = notebook.locator('.jp-Toolbar [data-command="bighead:run-remotely"]')
    # A <jp-button> web component: disabled, as assistive technology is told.
    expect(run).to_have_attribute("aria-disabled", "true", timeout=30_000)
    expect(run).to_have_attribute("title", _contains(NEEDS_WRITER))
    screenshot(page, "roles-viewer-notebook")


def test_without_roles_config_the_same_buttons_are_enabled_without_a_hint(page: Page, lab):
    write_notebook(lab.workspace / "ui_roles_open.ipynb", [new_code_cell("x = 1")])
    notebook = open_notebook(page, lab, "ui_roles_open.ipynb")
    run = notebook.locator('.jp-Toolbar [data-command="bighead:run-remotely"]')
    expect(run).to_have_attribute("aria-disabled", "false", timeout=30_000)
    expect(run).to_have_attribute(
        "title", "Productionize this notebook and run it as a job on a compute profile")
