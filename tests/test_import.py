"""The core must stay light: importable in a kernel or pod without the server stack."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ["jupyter_server", "tornado", "lightgbm", "kubernetes"]


def _modules_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys, json; print(json.dumps(sorted(sys.modules)))"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return set(json.loads(out.strip().splitlines()[-1]))


def _roots(modules: set[str]) -> set[str]:
    return {name.split(".")[0] for name in modules}


def test_import_jupyter_bighead_does_not_pull_in_server_or_heavy_libraries():
    roots = _roots(_modules_after("import jupyter_bighead"))
    assert "jupyter_bighead" in roots
    assert not roots & set(HEAVY), roots & set(HEAVY)


def test_core_modules_used_by_the_server_stay_light_too():
    code = "import jupyter_bighead.cli, jupyter_bighead.status, jupyter_bighead.demo"
    roots = _roots(_modules_after(code))
    assert not roots & set(HEAVY), roots & set(HEAVY)


def test_no_core_module_imports_jupyter_server():
    import pathlib

    import jupyter_bighead

    root = pathlib.Path(jupyter_bighead.__file__).parent
    offenders = [
        str(p.relative_to(root))
        for p in root.rglob("*.py")
        if "jupyter_server" in p.read_text("utf-8")
        and any(
            line.strip().startswith(("import jupyter_server", "from jupyter_server"))
            for line in p.read_text("utf-8").splitlines()
        )
    ]
    assert offenders == []
