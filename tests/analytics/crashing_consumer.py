"""An event consumer for the bus's crash test, loaded in worker processes through
EVENT_CONSUMER_MODULES: the first time it sees a `test.crash` event it kills its own
process (`kill -9`), after the consumers registered before it have committed; later
deliveries pass. The marker file lives in CRASH_MARKER_DIR."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from benchbarrier.events import BusEvent, consumer


@consumer("tests.crash_once", events={"test.crash"})
def crash_once(events: list[BusEvent]) -> None:
    marker = Path(os.environ["CRASH_MARKER_DIR"]) / "crashed"
    if not marker.exists():
        marker.write_text(str(os.getpid()))
        os.kill(os.getpid(), signal.SIGKILL)
