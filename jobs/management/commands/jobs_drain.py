"""`manage.py jobs_drain`: run due jobs in the foreground until none is due, printing
what ran (for tests, one-off scripts and debugging; like Oban's `drain_queue`)."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from benchbarrier import clock
from jobs import runner
from jobs.models import Job, JobStatus


class Command(BaseCommand):
    help = "Run due jobs in this process until none is due, printing what ran."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--limit", type=int, help="Stop after this many jobs.")
        parser.add_argument(
            "--type", action="append", dest="job_types", metavar="JOB_TYPE",
            help="Only jobs of this type (repeat for more), e.g. --type bus.deliver.",
        )  # fmt: skip
        parser.add_argument("--quiet", action="store_true", help="Print only the summary line.")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        outcomes: Counter[tuple[str, str]] = Counter()
        worker = f"jobs_drain:{runner.worker_id()}"
        batches = runner.run_until_idle(
            worker=worker, limit=options["limit"], job_types=options["job_types"]
        )
        for batch in batches:
            statuses = dict(
                Job.objects.filter(id__in=[j.id for j in batch]).values_list("id", "status")
            )
            for job in batch:
                status = statuses.get(job.id, "deleted")
                outcomes[(job.job_type, status)] += 1
                if not options["quiet"]:
                    self.stdout.write(f"{job.job_type:<24} {job.id}  {_word(status, job)}")
        self._summary(outcomes, time.monotonic() - started)

    def _summary(self, outcomes: Counter[tuple[str, str]], took: float) -> None:
        by_status: Counter[str] = Counter()
        for (_, status), count in outcomes.items():
            by_status[status] += count
        parts = ", ".join(f"{count} {status}" for status, count in sorted(by_status.items()))
        line = f"ran {sum(by_status.values())} job(s) in {took:.2f} s"
        line += f" ({parts})" if parts else ""
        next_due = (
            Job.objects.filter(
                status__in=[JobStatus.PENDING, JobStatus.RETRYING], scheduled_for__gt=clock.now()
            )
            .order_by("scheduled_for")
            .values_list("scheduled_for", flat=True)
            .first()
        )
        if next_due is not None:
            line += f"; the next scheduled job is due at {next_due.isoformat()}"
        self.stdout.write(line)


def _word(status: str, job: Job) -> str:
    if status == JobStatus.PENDING:
        return "handed back (next step queued)"
    return status
