"""`manage.py alerts_evaluate`: evaluate every alert rule once, now (operators, tests);
beat does the same every minute through the `alerts.evaluate` job."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from benchbarrier.services.alerts import evaluate_all


class Command(BaseCommand):
    help = "Evaluate every enabled alert rule once and print what fired and resolved."

    def handle(self, *args: Any, **options: Any) -> None:
        outcome = evaluate_all()
        if outcome.skipped:
            self.stdout.write(f"skipped: {outcome.skipped}")
            return
        self.stdout.write(f"rules evaluated: {outcome.evaluated}")
        for name in outcome.fired:
            self.stdout.write(f"fired: {name}")
        for name in outcome.resolved:
            self.stdout.write(f"resolved: {name}")
        self.stdout.write(f"notifications sent: {outcome.notifications}")
