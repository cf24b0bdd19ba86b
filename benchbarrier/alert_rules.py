"""The alert rules that ship, on by default and editable in the admin: the seed's five
(queue backup, job failure rate, AI cost spike, workflow errors, email delivery rate), a
job that failed for good (the seed job processor's `notifyJobFailure`), budgets at 80%
and 100%, API keys and workflow webhook secrets due for rotation. Installed after every
migrate when missing (edits kept)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from benchbarrier.models import AlertRule, Comparison, NotificationLevel

M = timedelta(minutes=1)
SHIPPED: list[dict[str, Any]] = [
    {"key": "queue-backup", "name": "Job queue backup", "signal": "jobs.queue_backup",
     "comparison": Comparison.ABOVE, "threshold": 100, "window": 5 * M, "for_duration": 2 * M,
     "repeat_interval": 60 * M, "severity": NotificationLevel.CRITICAL,
     "description": "More than 100 due jobs are waiting: workers are too few, stuck or down."},
    {"key": "job-failure-rate", "name": "High job failure rate", "signal": "jobs.failure_rate",
     "comparison": Comparison.ABOVE, "threshold": 10, "window": 15 * M, "min_count": 20,
     "for_duration": 0 * M, "repeat_interval": 120 * M, "severity": NotificationLevel.CRITICAL,
     "description": "Over 10% of a job type's jobs finished in 15 minutes failed for good "
                    "(with at least 20 finished, so one failure in two jobs does not page)."},
    {"key": "job-failed", "name": "A job failed for good", "signal": "jobs.failed",
     "comparison": Comparison.ABOVE, "threshold": 0, "window": 15 * M, "for_duration": 0 * M,
     "repeat_interval": 240 * M, "severity": NotificationLevel.WARNING,
     "description": "Jobs used up their attempts (one notice per job type, however many)."},
    {"key": "ai-cost-spike", "name": "Spend spike", "signal": "spend.spike",
     "comparison": Comparison.ABOVE, "threshold": 3, "window": 24 * 60 * M,
     "for_duration": 0 * M, "repeat_interval": 12 * 60 * M, "severity": NotificationLevel.WARNING,
     "description": "A service's spend today is above 3x its daily average of the week "
                    "before (the seed's AI API cost spike)."},
    {"key": "workflow-errors", "name": "Workflow errors", "signal": "workflows.failed_runs",
     "comparison": Comparison.ABOVE, "threshold": 0, "window": 15 * M, "for_duration": 0 * M,
     "repeat_interval": 240 * M, "severity": NotificationLevel.WARNING,
     "description": "Runs of a workflow failed in the last 15 minutes."},
    {"key": "email-delivery-rate", "name": "Low email delivery rate",
     "signal": "email.delivery_rate", "comparison": Comparison.BELOW, "threshold": 95,
     "window": 60 * M, "min_count": 100, "for_duration": 0 * M, "repeat_interval": 240 * M,
     "severity": NotificationLevel.CRITICAL,
     "description": "Under 95% of the last hour's emails (100 at least) were not bounced or "
                    "failed: the sender's reputation or a list is at risk."},
    {"key": "api-key-rotation", "name": "API key due for rotation", "signal": "api_keys.age",
     "comparison": Comparison.AT_LEAST, "threshold": 30, "window": 24 * 60 * M,
     "for_duration": 0 * M, "repeat_interval": 7 * 24 * 60 * M,
     "severity": NotificationLevel.WARNING,
     "description": "An API key in use is 30 days old: rotate it (the seed's monthly "
                    "rotation; `apikey rotate` keeps the old one for a grace period)."},
    {"key": "webhook-secret-rotation", "name": "Webhook secret due for rotation",
     "signal": "workflows.webhook_secret_age", "comparison": Comparison.AT_LEAST,
     "threshold": 30, "window": 24 * 60 * M, "for_duration": 0 * M,
     "repeat_interval": 7 * 24 * 60 * M, "severity": NotificationLevel.WARNING,
     "description": "A workflow hook's signing secret is 30 days old: rotate it (the action "
                    "on the workflow list keeps the old one for a grace period)."},
    {"key": "budget-80", "name": "Budget 80% spent", "signal": "spend.budget_used",
     "comparison": Comparison.AT_LEAST, "threshold": 80, "window": 60 * M,
     "for_duration": 0 * M, "repeat_interval": 7 * 24 * 60 * M,
     "severity": NotificationLevel.WARNING, "description": "A monthly budget is 80% spent."},
    {"key": "budget-100", "name": "Budget spent", "signal": "spend.budget_used",
     "comparison": Comparison.AT_LEAST, "threshold": 100, "window": 60 * M,
     "for_duration": 0 * M, "repeat_interval": 24 * 60 * M,
     "severity": NotificationLevel.CRITICAL,
     "description": "A monthly budget is spent (hard-stop budgets refuse new calls)."},
]  # fmt: skip


def install_rules() -> list[str]:
    made = []
    for shipped in SHIPPED:
        _, created = AlertRule.objects.get_or_create(
            key=shipped["key"], defaults={k: v for k, v in shipped.items() if k != "key"}
        )
        if created:
            made.append(shipped["key"])
    return made


def rotation_due_days(key: str) -> int | None:
    """The age (days) a rotation rule flags, None when it is switched off: lists flag what
    the rule would."""
    rule = AlertRule.objects.filter(key=key, enabled=True).first()
    return int(rule.threshold) if rule is not None else None
