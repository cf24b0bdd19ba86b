from __future__ import annotations

import json
from typing import Any

from django.contrib import admin, messages
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.html import format_html

from benchbarrier.admin.read_only import ReadOnlyAdmin
from benchbarrier.dashboard import Figure, Panel, list_link, panel, place
from benchbarrier.services.audit import Actor
from jobs import services
from jobs.models import Job, JobStatus
from jobs.selectors import queue_now

STATUS_COLOURS = {
    JobStatus.PENDING: "#666",
    JobStatus.PROCESSING: "#0b62a4",
    JobStatus.COMPLETED: "#2a7a2a",
    JobStatus.FAILED: "#ba2121",
    JobStatus.RETRYING: "#b36b00",
    JobStatus.CANCELLED: "#999",
}


def pretty_json(value: Any) -> str:
    return format_html("<pre>{}</pre>", json.dumps(value, indent=2, sort_keys=True, default=str))


@admin.register(Job)
class JobAdmin(ReadOnlyAdmin):
    change_list_template = "admin/jobs/job/change_list.html"
    list_display = [
        "id",
        "job_type",
        "coloured_status",
        "priority",
        "attempts_used",
        "progress_display",
        "scheduled_for",
        "completed_at",
        "short_error",
    ]
    list_filter = ["status", "job_type", "created_at"]
    search_fields = ["=id", "=idempotency_key"]
    date_hierarchy = "created_at"
    actions = ["retry_jobs", "cancel_jobs"]
    fieldsets = [
        (None, {"fields": ["id", "job_type", "coloured_status", "priority", "idempotency_key"]}),
        (
            "Timing",
            {
                "fields": [
                    "created_at",
                    "scheduled_for",
                    "started_at",
                    "completed_at",
                    "progress_display",
                ]
            },
        ),
        ("Attempts", {"fields": ["attempts", "max_attempts", "locked_by", "lease_expires_at"]}),
        ("Data", {"fields": ["payload_pretty", "result_pretty"]}),
        ("Errors", {"fields": ["error_message", "traceback_pretty", "error_history_pretty"]}),
    ]
    readonly_fields = [
        "id", "job_type", "coloured_status", "priority", "idempotency_key", "created_at",
        "scheduled_for", "started_at", "completed_at", "attempts", "max_attempts", "locked_by",
        "lease_expires_at", "payload_pretty", "result_pretty", "error_message",
        "traceback_pretty", "error_history_pretty", "progress_display",
    ]  # fmt: skip

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        counts = dict(Job.objects.values_list("status").annotate(n=Count("id")).order_by())
        extra_context = {
            **(extra_context or {}),
            "status_counts": [
                (status.value, status.label, counts.get(status.value, 0), STATUS_COLOURS[status])
                for status in JobStatus
            ],
        }
        return super().changelist_view(request, extra_context)

    @admin.display(description="progress")
    def progress_display(self, job: Job) -> str:
        progress = job.progress or {}
        if not progress.get("total"):
            return "-"
        share = progress.get("done", 0) / progress["total"] * 100
        return format_html(
            '<progress max="100" value="{}"></progress> {} / {}',
            f"{share:.0f}", progress.get("done", 0), progress["total"],
        )  # fmt: skip

    @admin.display(description="status", ordering="status")
    def coloured_status(self, job: Job) -> str:
        return format_html(
            '<strong style="color:{}">{}</strong>', STATUS_COLOURS[job.status], job.status
        )

    @admin.display(description="attempts")
    def attempts_used(self, job: Job) -> str:
        return f"{job.attempts}/{job.max_attempts}"

    @admin.display(description="error")
    def short_error(self, job: Job) -> str:
        return (job.error_message[:80] + "…") if len(job.error_message) > 80 else job.error_message

    @admin.display(description="payload")
    def payload_pretty(self, job: Job) -> str:
        return pretty_json(job.payload)

    @admin.display(description="result")
    def result_pretty(self, job: Job) -> str:
        return pretty_json(job.result)

    @admin.display(description="traceback")
    def traceback_pretty(self, job: Job) -> str:
        return format_html("<pre>{}</pre>", job.traceback or "—")

    @admin.display(description="error history")
    def error_history_pretty(self, job: Job) -> str:
        return pretty_json(job.error_history)

    @admin.action(description="Retry selected failed or cancelled jobs")
    def retry_jobs(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._apply(request, queryset, services.retry_job, "retried")

    @admin.action(description="Cancel selected pending or retrying jobs")
    def cancel_jobs(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._apply(request, queryset, services.cancel_job, "cancelled")

    def _apply(self, request: HttpRequest, queryset: QuerySet, action: Any, verb: str) -> None:
        done, refused = 0, []
        for job in queryset:
            try:
                action(job=job, actor=Actor.from_request(request), request=request)
                done += 1
            except services.JobStateError as exc:
                refused.append(str(exc))
        if done:
            self.message_user(request, f"{done} job(s) {verb}.", messages.SUCCESS)
        for reason in refused[:10]:
            self.message_user(request, reason, messages.WARNING)


place("Operations", Job)


@panel("Jobs", order=50)
def jobs(request: HttpRequest) -> Panel:
    """The queue now: what waits, what runs, what failed for good in the last 24 hours."""
    now = queue_now()
    oldest = "" if now.oldest_due_seconds is None else f"{now.oldest_due_seconds:,.0f} s"
    return Panel(
        "Background jobs",
        figures=[
            Figure("queued, due now", f"{now.due:,}", list_link(Job, status__exact="pending"),
                   tone="warn" if now.due > 100 else ""),
            Figure("running", f"{now.running:,}", list_link(Job, status__exact="processing")),
            Figure("scheduled later", f"{now.later:,}"),
            Figure("failed, 24 h", f"{now.failed_24h:,}", list_link(Job, status__exact="failed"),
                   tone="bad" if now.failed_24h else "good"),
        ],
        note=f"The oldest due job has waited {oldest}." if oldest else "Nothing is waiting.",
        link=list_link(Job),
    )  # fmt: skip
