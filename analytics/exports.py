"""`data.export`: a zip written to storage in constant memory (rows streamed from the
database in chunks into it), with progress on the job, an audit entry, and a signed
download link that expires (DATA_EXPORT_LINK_HOURS). Three kinds:

- events: a date range of events, as CSV;
- report: a report run's full breakdown (CSV) and figures (JSON);
- customer: everything held about one person (the GDPR access right), one JSON file per
  source of the kernel's personal-data registry, and a README saying what each holds.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.files import File
from django.core.signing import BadSignature

from analytics.models import Event
from benchbarrier import clock, personal_data
from benchbarrier.metrics_registry import Period
from benchbarrier.models import AuditLogEntry
from benchbarrier.services.audit import Actor, record_audit
from benchbarrier.stored_files import save_replacing
from jobs.models import Job
from jobs.services import report_progress

COLUMNS = ["id", "event_name", "user_id", "session_id", "message_id", "timestamp", "properties"]
SALT = "data.export"


class LinkExpired(Exception):
    pass


def export_events(job: Job, period: Period) -> dict[str, Any]:
    events = Event.objects.filter(timestamp__gte=period.start, timestamp__lt=period.end)
    total = events.count()

    def write(archive: zipfile.ZipFile) -> int:
        with _text(archive, "events.csv") as text:
            writer = csv.writer(text)
            writer.writerow(COLUMNS)
            rows = events.order_by("timestamp", "id").values_list(*COLUMNS)
            done = 0
            for done, row in enumerate(rows.iterator(chunk_size=5000), start=1):
                writer.writerow([*row[:5], row[5].isoformat(), json.dumps(row[6])])
                if done % 50_000 == 0:
                    report_progress(job, done=done, total=total)
        return done

    return _archive(job, f"events-{job.pk}", write, {"start": period.start.isoformat()})


def export_report(job: Job, run: Any) -> dict[str, Any]:
    """A report run's breakdown as CSV (as its email's attachment) and its figures."""
    from analytics.report_email import breakdown_csv

    def write(archive: zipfile.ZipFile) -> int:
        archive.writestr("breakdown.csv", breakdown_csv(run.figures))
        archive.writestr("figures.json", json.dumps(run.figures, indent=2))
        return sum(len(rows) for rows in run.figures.get("breakdown", {}).values())

    return _archive(job, f"report-{run.report_id}-run-{run.pk}", write, {"runId": run.pk})


def export_customer(job: Job, user_id: str) -> dict[str, Any]:
    """Everything the personal-data registry's sources hold about `user_id`."""
    found = personal_data.sources()

    def write(archive: zipfile.ZipFile) -> int:
        total = 0
        for index, source in enumerate(found, start=1):
            with _text(archive, f"{source.name}.json") as text:
                text.write("[")
                for count, row in enumerate(source.rows(user_id)):
                    text.write(("," if count else "") + "\n" + json.dumps(row, default=str))
                    total += 1
                text.write("\n]\n")
            report_progress(job, done=index, total=len(found))
        archive.writestr("README.txt", "".join(
            f"{s.name}.json: {s.description}\n" for s in found))  # fmt: skip
        return total

    # The audit names whose data left, never the data.
    return _archive(job, f"customer-{job.pk}", write, {"userId": user_id})


@contextmanager
def _text(archive: zipfile.ZipFile, name: str) -> Iterator[io.TextIOWrapper]:
    with archive.open(name, "w") as member:
        text = io.TextIOWrapper(member, encoding="utf-8", newline="")
        yield text
        text.flush()
        text.detach()


def _archive(job: Job, stem: str, write: Callable[[zipfile.ZipFile], int],
             about: dict[str, Any]) -> dict[str, Any]:  # fmt: skip
    """Write the zip through a temporary file, store it, audit it, link to it. Run again
    (a crash lost the job's completion), it replaces its file and is audited once."""
    with tempfile.TemporaryFile() as spool:
        with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            total = write(archive)
        spool.seek(0)
        name = save_replacing(f"exports/{stem}.zip", File(spool))
    report_progress(job, done=total, total=total)
    if not AuditLogEntry.objects.filter(action="data.exported", target_id=str(job.pk)).exists():
        record_audit(action="data.exported", target=job, actor=Actor.system("data.export"),
                     changes={"rows": total, "file": name, **about})  # fmt: skip
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


__all__ = ["BadSignature", "LinkExpired", "download_link", "export_customer", "export_events",
           "export_report", "file_for"]  # fmt: skip
