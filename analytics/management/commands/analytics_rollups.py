"""`manage.py analytics_rollups [--rebuild [--start DAY --end DAY]]`: how full the rollups
are, or make them again from the events, all or for some days (after events were written
some other way than the API)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from analytics import query, rollups
from analytics.models import Buyer, OrderHour, OrderTotal, Signup, Subscription


class Command(BaseCommand):
    help = "Show the rollups' sizes, or rebuild them from the events (--rebuild)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--rebuild", action="store_true", help="empty them and make them from every event"
        )
        parser.add_argument("--start", help="with --rebuild: only from this day (2026-11-01)")
        parser.add_argument("--end", help="with --rebuild: to this day, included")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["rebuild"]:
            period = None
            if options["start"] or options["end"]:
                try:
                    period = query.parse_period(None, options["start"], options["end"])
                except query.QueryError as exc:
                    raise CommandError(f"--{exc.field}: {exc}") from None
            started = time.perf_counter()
            say = lambda done: self.stdout.write(f"  {done:,} events read")  # noqa: E731
            done = rollups.rebuild(period, progress=say if options["verbosity"] > 1 else None)
            took = time.perf_counter() - started
            self.stdout.write(self.style.SUCCESS(f"Rebuilt from {done:,} events in {took:.1f} s."))
        for model in (OrderHour, OrderTotal, Buyer, Signup, Subscription):
            self.stdout.write(f"{model._meta.db_table:28} {model.objects.count():>12,} rows")
