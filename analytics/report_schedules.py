"""Each report's schedule as a django-celery-beat periodic task in the report's time zone
(daily at its hour; weekly on Mondays; monthly on the 1st), kept in step on save and
removed on delete. The task queues `report.generate` once per period (its idempotency
key), so a run missed while the system was down is made once when beat comes back,
not once per missed tick."""

from __future__ import annotations

import json

from celery import shared_task
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from analytics.models import AnalyticsReport, ReportSchedule
from analytics.reports import last_period
from jobs.services import enqueue

TASK = "analytics.generate_report"


def _tasks(report_id: int) -> object:
    return PeriodicTask.objects.filter(task=TASK, kwargs=json.dumps({"report_id": report_id}))


def sync_report_schedule(report: AnalyticsReport) -> PeriodicTask:
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute="0",
        hour=str(report.send_hour),
        day_of_week="1" if report.schedule == ReportSchedule.WEEKLY else "*",
        day_of_month="1" if report.schedule == ReportSchedule.MONTHLY else "*",
        month_of_year="*",
        timezone=report.timezone,
    )
    task = _tasks(report.pk).first() or PeriodicTask(
        task=TASK, kwargs=json.dumps({"report_id": report.pk})
    )
    task.name = f"report {report.pk}: {report.name}"[:200]
    task.crontab, task.interval, task.enabled = crontab, None, True
    task.save()
    return task


def remove_report_schedule(report_id: int) -> None:
    _tasks(report_id).delete()


@shared_task(name=TASK, ignore_result=True)
def generate_report(report_id: int) -> int | None:
    """Beat's tick: queue the report's last full period (once per period)."""
    report = AnalyticsReport.objects.filter(pk=report_id).first()
    if report is None:
        return None
    period = last_period(report)
    job, _ = enqueue(
        job_type="report.generate",
        payload={"reportId": report.pk},
        idempotency_key=f"report.generate:{report.pk}:{period.start.isoformat()}",
    )
    return job.pk
