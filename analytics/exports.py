"""`data.export`: a date range of events as CSV in a zip, written to storage in constant
memory (rows streamed from the database in chunks into the zip), with progress on the
job, an audit entry, and a signed download link that expires (DATA_EXPORT_LINK_HOURS).
(Exports of a report's breakdown and of one customer's data come with issues 16 and 19.)
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
import zipfile
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.files import File
from django.core.files.storage import default_storage
from django.core.signing import BadSignature

from analytics.models import Event
from benchbarrier import clock
from benchbarrier.metrics_registry import Period
from benchbarrier.services.audit import Actor, record_audit
from jobs.models import Job
from jobs.services import report_progress

COLUMNS = ["id", "event_name", "user_id", "session_id", "message_id", "timestamp", "properties"]
SALT = "data.export"


class LinkExpired(Exception):
    pass


def export_events(job: Job, period: Period) -> dict[str, Any]:
    events = Event.objects.filter(timestamp__gte=period.start, timestamp__lt=period.end)
    total = events.count()
    with tempfile.TemporaryFile() as spool:
        with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_DEFLATED) as archive, \
                archive.open("events.csv", "w") as member:  # fmt: skip
            text = io.TextIOWrapper(member, encoding="utf-8", newline="")
            writer = csv.writer(text)
            writer.writerow(COLUMNS)
            rows = events.order_by("timestamp", "id").values_list(*COLUMNS)
            for done, row in enumerate(rows.iterator(chunk_size=5000), start=1):
                writer.writerow([*row[:5], row[5].isoformat(), json.dumps(row[6])])
                if done % 50_000 == 0:
                    report_progress(job, done=done, total=total)
            text.flush()
            text.detach()
        spool.seek(0)
        name = default_storage.save(f"exports/events-{job.pk}.zip", File(spool))
    report_progress(job, done=total, total=total)
    record_audit(action="data.exported", target=job, actor=Actor.system("data.export"),
                 changes={"rows": total, "file": name})  # fmt: skip
    return {"rows": total, "file": name, "url": download_link(name)}


def download_link(name: str) -> str:
    expires = int((clock.now() + timedelta(hours=settings.DATA_EXPORT_LINK_HOURS)).timestamp())
    token = signing.dumps({"file": name, "expires": expires}, salt=SALT)  # URL-safe
    return f"{settings.SITE_URL.rstrip('/')}/exports/{token}"


def file_for(token: str) -> str:
    """The stored file a link names; BadSignature for a forged one, LinkExpired after
    its time."""
    found = signing.loads(token, salt=SALT)
    if clock.now().timestamp() > found["expires"]:
        raise LinkExpired(found["file"])
    return found["file"]


__all__ = ["BadSignature", "LinkExpired", "download_link", "export_events", "file_for"]
