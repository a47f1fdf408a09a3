"""The server extension has no import cycles: no two of its modules import each other at
run time, directly or round a loop (imports inside functions included, ``TYPE_CHECKING``
ones not). The check is the core's (tests/test_layers.py), run over
``server_ext/jupyter_bighead_server/``."""

from __future__ import annotations

import pathlib
import textwrap

from tests.test_layers import cycle_edges, imports, modules

PACKAGE = "jupyter_bighead_server"
ROOT = pathlib.Path(__file__).resolve().parents[2] / "server_ext" / PACKAGE


def cycles(root: pathlib.Path, package: str) -> set[tuple[str, str]]:
    mods = modules(root, package)
    return cycle_edges(mods, imports(mods, package), package)


def test_the_server_extension_has_no_import_cycles():
    found = cycles(ROOT, PACKAGE)
    assert not found, "import cycles in server_ext/jupyter_bighead_server/:\n" + "\n".join(
        f"  {a} -> {b}" for a, b in sorted(found))


def test_the_check_sees_a_cycle_like_the_one_it_replaced(tmp_path):
    # routes imports the handlers; the base handler looked its template up in routes.
    root = tmp_path / "ext"
    files = {
        "__init__.py": "",
        "routes.py": "from .handlers.jobs import JobsHandler\n",
        "handlers/__init__.py": "",
        "handlers/jobs.py": "from .base import Base\n",
        "handlers/base.py": "def template():\n    from ..routes import ROUTES\n",
    }
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(textwrap.dedent(text))
    assert cycles(root, "ext") == {("ext.routes", "ext.handlers.jobs"),
                                   ("ext.handlers.jobs", "ext.handlers.base"),
                                   ("ext.handlers.base", "ext.routes")}
