"""`manage.py analytics_rollups [--rebuild]`: how full the rollups are, or make them again
from the events (after events were written some other way than the API)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand

from analytics import rollups
from analytics.models import Buyer, OrderHour, OrderTotal, Signup, Subscription


class Command(BaseCommand):
    help = "Show the rollups' sizes, or rebuild them from the events (--rebuild)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--rebuild", action="store_true", help="empty them and make them from every event"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["rebuild"]:
            started = time.perf_counter()
            say = lambda done: self.stdout.write(f"  {done:,} events read")  # noqa: E731
            done = rollups.rebuild(progress=say if options["verbosity"] > 1 else None)
            took = time.perf_counter() - started
            self.stdout.write(self.style.SUCCESS(f"Rebuilt from {done:,} events in {took:.1f} s."))
        for model in (OrderHour, OrderTotal, Buyer, Signup, Subscription):
            self.stdout.write(f"{model._meta.db_table:28} {model.objects.count():>12,} rows")
