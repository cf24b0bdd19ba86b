from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from benchbarrier import clock
from benchbarrier.durations import parse_duration
from benchbarrier.services.audit import Actor
from jobs.registry import registered_types
from jobs.services import JobValidationError, enqueue


class Command(BaseCommand):
    help = "Put one job on the queue."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("job_type", help="A registered job type (see --list).")
        parser.add_argument("--payload", default="{}", help="The payload, a JSON object.")
        parser.add_argument("--priority", type=int, default=0)
        parser.add_argument("--delay", help='Run no sooner than this from now, like "10m".')
        parser.add_argument("--max-attempts", type=int)
        parser.add_argument("--idempotency-key")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            payload = json.loads(options["payload"])
        except json.JSONDecodeError as exc:
            raise CommandError(f"--payload is not valid JSON: {exc}") from None
        try:
            delay = parse_duration(options["delay"]) if options["delay"] else None
        except ValueError as exc:
            raise CommandError(f"--delay: {exc}") from None
        try:
            job, created = enqueue(
                job_type=options["job_type"],
                payload=payload,
                priority=options["priority"],
                scheduled_for=clock.now() + delay if delay else None,
                max_attempts=options["max_attempts"],
                idempotency_key=options["idempotency_key"],
                actor=Actor.system("manage.py enqueue"),
            )
        except JobValidationError as exc:
            hint = ""
            if exc.field == "jobType":
                hint = f"\nRegistered types: {', '.join(registered_types())}"
            raise CommandError(f"{exc.field}: {exc}{hint}") from None
        verb = "Enqueued" if created else "Already enqueued (same idempotency key)"
        self.stdout.write(
            self.style.SUCCESS(f"{verb} {job.job_type} job {job.id}, due {job.scheduled_for}")
        )
