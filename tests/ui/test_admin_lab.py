"""The Admin section in a real browser: an admin adds a GPU profile, and a data
scientist's lab that was open all along lists it in *Run remotely* without a restart.

Two labs share one Bighead home, as two users' servers on a team's hub share the
stores: in the first the server's user is an admin, in the second a data scientist
(``c.BigheadApp.roles``; each server's user is its owner, see handlers/base.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from nbformat.v4 import new_code_cell
from playwright.sync_api import Page, expect

from .conftest import Lab, save_admin_profile, screenshot, start_lab
from .test_productionize import open_notebook, write_notebook
from .test_sidebar import open_bighead

PROFILE = "gpu-a100"


def _lab_as(root: Path, role: str, home: Path) -> Iterator[Lab]:
    from jupyter_bighead.identity import current_user

    config_dir = root / "jupyter-config"  # start_lab's JUPYTER_CONFIG_DIR
    config_dir.mkdir(parents=True)
    (config_dir / "jupyter_server_config.json").write_text(json.dumps(
        {"BigheadApp": {"home": str(home), "roles": {f"user:{current_user()}": role},
                        "profiles": {"small": {"cpu": "1", "memory": "1Gi"}}}}))
    yield from start_lab(root)


@pytest.fixture(scope="module")
def team(tmp_path_factory) -> Iterator[tuple[Lab, Lab]]:
    """(the data scientist's lab, the admin's lab) on one shared home."""
    home = tmp_path_factory.mktemp("team-home")
    ds_labs = _lab_as(tmp_path_factory.mktemp("lab-ds"), "data_scientist", home)
    admin_labs = _lab_as(tmp_path_factory.mktemp("lab-admin"), "admin", home)
    ds, admin = next(ds_labs), next(admin_labs)
    yield ds, admin
    next(admin_labs, None)  # stops the labs
    next(ds_labs, None)


def _run_dialog(page: Page, notebook):
    notebook.locator('.jp-Toolbar [data-command="bighead:run-remotely"]').click()
    dialog = page.locator(".jp-Dialog")
    select = dialog.get_by_label("Compute profile")
    expect(select).to_be_visible(timeout=30_000)
    return dialog, select


def test_an_admins_new_gpu_profile_shows_in_an_open_labs_run_remotely(page: Page, team):
    ds, admin = team
    write_notebook(ds.workspace / "ui_admin_run.ipynb", [new_code_cell("print('hi')")])
    notebook = open_notebook(page, ds, "ui_admin_run.ipynb")
    dialog, select = _run_dialog(page, notebook)
    expect(select.locator("option")).to_have_count(1)  # only "small" so far
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_have_count(0)
    # The data scientist has no Admin section.
    expect(page.locator('.jp-bighead-sidebar [data-section="admin"]')).to_have_count(0)

    admin_page = page.context.new_page()
    open_bighead(admin_page, admin.lab_url())
    section = admin_page.locator('.jp-bighead-sidebar [data-section="admin"]')
    row = save_admin_profile(section, PROFILE, cpu="4", memory="16Gi", gpus="1",
                             description="one A100")
    expect(row).to_contain_text("16Gi")
    expect(section.get_by_test_id("admin-audit")).to_contain_text(
        f"put profile profile:{PROFILE}")
    # A refused edit says why, in the server's words.
    form = section.get_by_test_id("profile-form")
    form.get_by_label("Profile name").fill("bad name")
    form.get_by_role("button", name="Save profile").click()
    expect(form.get_by_role("alert")).to_contain_text("profile name")
    screenshot(admin_page, "admin-section")

    # Back in the data scientist's lab, never reloaded: the dialog lists the new profile.
    dialog, select = _run_dialog(page, notebook)
    option = select.locator(f'option[value="{PROFILE}"]')
    expect(option).to_have_count(1)
    expect(option).to_contain_text("1 GPU (one A100)")
    screenshot(page, "admin-profile-in-run-remotely")
    dialog.get_by_role("button", name="Cancel").click()
    admin_page.close()
