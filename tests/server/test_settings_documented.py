"""Every admin setting of the extension has a row in the README's settings table."""

from __future__ import annotations

from pathlib import Path

from jupyter_bighead_server.app import BigheadApp

README = Path(__file__).resolve().parents[2] / "README.md"


def test_every_bighead_setting_is_in_the_readme_settings_table():
    rows = [line for line in README.read_text("utf-8").splitlines()
            if line.startswith("| `c.BigheadApp.")]
    documented = {row.split("`")[1].removeprefix("c.BigheadApp.") for row in rows}
    own = set(BigheadApp.class_own_traits(config=True))
    assert own - documented == set(), "settings missing from the README table"
    for name in own:
        assert BigheadApp.class_traits()[name].help, f"c.BigheadApp.{name} has no help="
