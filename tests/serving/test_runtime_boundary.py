"""The serving runtime (what runs in a model-server process) imports nothing of the
control plane (deploy records, deploy targets), and nothing of a package above serving."""

from __future__ import annotations

import ast
from pathlib import Path

import jupyter_bighead.serving.runtime as runtime

RUNTIME = Path(runtime.__file__).parent


def _imports(path: Path) -> set[str]:
    """Every ``jupyter_bighead`` module ``path`` imports (anywhere in the file)."""
    package = ["jupyter_bighead", "serving", "runtime"]
    found = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            target = ".".join(base + ([node.module] if node.module else []))
            found.update(f"{target}.{a.name}" if not node.module else target
                         for a in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return {m for m in found if m.startswith("jupyter_bighead")}


def test_the_runtime_imports_no_control_plane_module():
    modules = sorted(RUNTIME.glob("*.py"))
    assert len(modules) >= 8
    wrong = {}
    for path in modules:
        bad = [m for m in _imports(path)
               if m.startswith("jupyter_bighead.serving.")
               and not m.startswith("jupyter_bighead.serving.runtime")]
        bad += [m for m in _imports(path)
                if m.split(".")[1] in ("cli", "widgets", "status", "demo", "testing")
                or m == "jupyter_bighead"]
        if bad:
            wrong[path.name] = bad
    assert not wrong, f"runtime modules import the control plane or the facade: {wrong}"


def test_the_boundary_check_sees_relative_imports(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text("from ..deploy import X\nfrom .. import local\nfrom ... import cli\n")
    assert _imports(probe) == {"jupyter_bighead.serving.deploy",
                               "jupyter_bighead.serving.local", "jupyter_bighead.cli"}
