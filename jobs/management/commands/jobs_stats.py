from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from benchbarrier.durations import parse_duration
from jobs.models import JobStatus
from jobs.selectors import queue_stats


class Command(BaseCommand):
    help = "Print the job queue: counts by type and status, success rate, processing times."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--window", default="1h", help='Window for rates, like "1h", "1d".')

    def handle(self, *args: Any, window: str, **options: Any) -> None:
        try:
            stats = queue_stats(window=parse_duration(window))
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        statuses = [s.value for s in JobStatus]
        width = max([len("job type"), len("all"), *map(len, stats.by_type)])
        header = f"{'job type':<{width}}  " + "  ".join(f"{s:>10}" for s in statuses)
        self.stdout.write(header)
        self.stdout.write("-" * len(header))
        for job_type in sorted(stats.by_type):
            counts = stats.by_type[job_type]
            row = "  ".join(f"{counts.get(s, 0):>10}" for s in statuses)
            self.stdout.write(f"{job_type:<{width}}  {row}")
        total = "  ".join(f"{stats.by_status[s]:>10}" for s in statuses)
        self.stdout.write(f"{'all':<{width}}  {total}")
        self.stdout.write("")
        rate = "n/a" if stats.success_rate is None else f"{stats.success_rate:.1%}"
        self.stdout.write(
            f"Last {window}: {stats.completed} completed, {stats.failed} failed, "
            f"success rate {rate}"
        )
        if stats.p50_ms is not None:
            self.stdout.write(
                f"Processing time: p50 {stats.p50_ms:.1f} ms, p95 {stats.p95_ms:.1f} ms, "
                f"p99 {stats.p99_ms:.1f} ms"
            )
