"""Browser tests live in tests/ui, which runs last.

Playwright's sync API holds this process's event loop from its first browser test to
the end of the session, so a browser test anywhere else would make every asyncio test
after it fail ("This event loop is already running"): a whole CI run did, once.
"""

from __future__ import annotations

import re
from pathlib import Path

TESTS = Path(__file__).resolve().parent
USES_PLAYWRIGHT = re.compile(r"^\s*(from|import)\s+playwright\b", re.MULTILINE)


def test_only_tests_ui_drives_a_browser():
    outside = sorted(str(p.relative_to(TESTS)) for p in TESTS.rglob("*.py")
                     if "ui" not in p.relative_to(TESTS).parts[:1]
                     and USES_PLAYWRIGHT.search(p.read_text(encoding="utf-8")))
    assert outside == [], f"move these browser tests into tests/ui: {outside}"


def test_tests_ui_is_collected_after_every_other_test_folder_but_widgets():
    folders = sorted(p.name for p in TESTS.iterdir() if p.is_dir() and p.name != "__pycache__")
    after = folders[folders.index("ui") + 1:]
    # what runs after tests/ui must not start asyncio loops of its own (widgets do not)
    assert after == ["widgets"], after
