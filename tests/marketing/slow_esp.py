"""A stand-in ESP for tests with real workers: each message is written to a file in
EMAIL_FILE_PATH (what the ESP accepted), then the answer takes SLOW_ESP_SECONDS to come
back, as an ESP's HTTP response does. A worker killed while sending is most likely
waiting for that answer, as it would be in production."""

from __future__ import annotations

import os
import re
import time
from collections import Counter
from pathlib import Path

from django.core.mail.backends.filebased import EmailBackend as FileBackend


class EmailBackend(FileBackend):
    def write_message(self, message: object) -> None:
        super().write_message(message)
        self.stream.flush()
        time.sleep(float(os.environ.get("SLOW_ESP_SECONDS", "0.002")))


def accepted(folder: Path) -> Counter[str]:
    """How many messages the stand-in ESP accepted for each address."""
    counts: Counter[str] = Counter()
    for path in folder.glob("*.log"):
        counts.update(re.findall(rb"^To: (\S+)\r?$", path.read_bytes(), re.MULTILINE))
    return Counter({address.decode(): n for address, n in counts.items()})
