"""Every shipped job handler has a test that runs its job twice (`run_twice`) and finds one
effect: a new handler without one fails here."""

from __future__ import annotations

import re
from pathlib import Path

from jobs import registry

TESTS = Path(__file__).resolve().parent


def test_every_shipped_handler_is_shown_to_survive_running_twice():
    shown = set()
    for module in TESTS.rglob("test_*.py"):
        text = module.read_text()
        shown |= set(re.findall(r"run_twice\(\s*\"([a-z_.]+)\"", text))
        if "run_twice(job_type)" in text:  # parametrized over job types
            for listed in re.findall(r"parametrize\(\"job_type\", \[([^\]]*)\]", text):
                shown |= set(re.findall(r"\"([a-z_.]+)\"", listed))
    shipped = {t for t in registry.registered_types() if not t.startswith(("test.", "tests."))}

    assert sorted(shipped - shown) == []
