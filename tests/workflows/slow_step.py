"""A step for crash tests: the first run (no marker file yet) hangs so the test can
kill the worker in the middle of it; later runs pass at once."""

from __future__ import annotations

import os
import time
from pathlib import Path

from workflows.registry import StepResult, StepRun, step_type


@step_type("test.slowOnce")
def slow_once(run: StepRun) -> StepResult:
    marker = Path(os.environ.get("SLOW_STEP_MARKER", "/tmp/slow-step-marker"))  # noqa: S108
    if not marker.exists():
        marker.write_text("started")
        time.sleep(60)
    return StepResult(output={"slept": True})
