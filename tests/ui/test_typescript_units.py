"""The TypeScript unit tests (vitest, ``jlpm test``) as part of the README's test command.

They cover the typed API client against ``openapi.json``, ``requestAPI`` and
``errorBody``, the poller and the area models, the plugins' tokens and the
reStructuredText renderer (``labextension/test``). No browser is needed.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _node_bin(name: str) -> str:
    path = ROOT / "node_modules" / ".bin" / name
    if not path.exists():
        pytest.fail(f"node_modules/.bin/{name} is missing: run `jlpm install` (scripts/test does)")
    return str(path)


def _run(*cmd: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1", "FORCE_COLOR": "0", "CI": "1"}
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600, env=env)


def test_typescript_unit_tests_pass():
    result = _run(_node_bin("vitest"), "run")
    output = result.stdout + result.stderr
    print(output)
    assert result.returncode == 0, output
    summary = re.search(r"Tests\s+(\d+) passed \((\d+)\)", output)
    assert summary is not None, output
    passed, total = (int(n) for n in summary.groups())
    assert passed == total > 0, output


def test_typescript_unit_tests_type_check():
    result = _run(_node_bin("tsc"), "--noEmit", "-p", "tsconfig.test.json")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_lab_build_leaves_the_unit_tests_out():
    result = _run(_node_bin("tsc"), "--listFilesOnly", "-p", "tsconfig.json")
    assert result.returncode == 0, result.stdout + result.stderr
    ours = [line for line in result.stdout.splitlines() if "/labextension/" in line]
    assert any(line.endswith("/labextension/src/index.ts") for line in ours), result.stdout
    assert [line for line in ours if "/labextension/test/" in line or ".test." in line] == []
