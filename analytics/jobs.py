"""Job handlers of analytics."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from analytics.bus import DELIVER, deliver_jobs
from jobs.models import Job
from jobs.registry import PermanentJobError, job_handler

# A batch of stored events, by id (the bus's delivery, forwarding to GA4).
EVENT_IDS = {
    "type": "object",
    "properties": {"eventIds": {"type": "array", "items": {"type": "integer"}, "maxItems": 1000}},
    "required": ["eventIds"],
    "additionalProperties": False,
}


def _days(start: str, end: str | None) -> Any:
    """The period of `start`..`end` (days included), or the job fails saying why."""
    from analytics import query

    try:
        return query.parse_period(None, start, end)
    except query.QueryError as exc:
        raise PermanentJobError(f"{exc.field}: {exc}") from None


@job_handler(
    DELIVER,
    max_attempts=10,
    retry_delay=timedelta(seconds=5),
    timeout=timedelta(seconds=120),
    batch=True,
    schema=EVENT_IDS,
)
def deliver_events(jobs: list[Job]) -> dict[Any, Exception]:
    """Hand stored events to every event consumer (each takes a batch once)."""
    return deliver_jobs(jobs)


@job_handler(
    "report.generate",
    max_attempts=3,
    retry_delay=timedelta(minutes=5),
    timeout=timedelta(minutes=10),
    schema={
        "type": "object",
        "properties": {
            "reportId": {"type": "integer"},
            "start": {"type": "string", "format": "date"},
            "end": {"type": "string", "format": "date"},
            "send": {"type": "boolean"},
        },
        "required": ["reportId"],
        "additionalProperties": False,
    },
)
def generate_report(job: Job) -> dict[str, Any]:
    """The seed's `report.generate`: a report for its last full period (or `start` to
    `end`, both days included), stored as a run and emailed to its recipients (unless
    `send` is false; a retried job sends no second copy)."""
    from analytics import report_email, reports
    from analytics.models import AnalyticsReport

    report = AnalyticsReport.objects.filter(pk=job.payload["reportId"]).first()
    if report is None:
        raise PermanentJobError(f"report {job.payload['reportId']} no longer exists")
    if "start" in job.payload:
        period = _days(job.payload["start"], job.payload.get("end"))
    else:
        period = reports.last_period(report)
    run = reports.generate(report, period)
    if job.payload.get("send", True):
        report_email.compose_and_send(run)
    return {"runId": run.pk, "periodStart": period.start.isoformat(),
            "emailedTo": [d["to"] for d in run.deliveries], "note": run.error}  # fmt: skip


@job_handler(
    "data.export",
    max_attempts=2,
    timeout=timedelta(minutes=30),
    schema={
        "type": "object",
        "properties": {
            "kind": {"enum": ["events", "report", "customer"]},
            "start": {"type": "string", "format": "date"},
            "end": {"type": "string", "format": "date"},
            "runId": {"type": "integer"},
            "userId": {"type": "string", "minLength": 1, "maxLength": 255},
        },
        "required": ["kind"],
        "additionalProperties": False,
        "allOf": [
            {"if": {"properties": {"kind": {"const": kind}}}, "then": {"required": needs}}
            for kind, needs in (("events", ["start", "end"]), ("report", ["runId"]),
                                ("customer", ["userId"]))
        ],
    },
)  # fmt: skip
def export_data(job: Job) -> dict[str, Any]:
    """The seed's `data.export` ("export user data"), in a zip with a download link that
    expires: events of `start`..`end` (days included), a report run's breakdown
    (`runId`), or everything held about one customer (`userId`, the GDPR access right)."""
    from analytics import exports
    from analytics.models import ReportRun

    kind = job.payload["kind"]
    if kind == "customer":
        return exports.export_customer(job, job.payload["userId"])
    if kind == "report":
        run = ReportRun.objects.filter(pk=job.payload["runId"]).first()
        if run is None:
            raise PermanentJobError(f"runId: no report run {job.payload['runId']}")
        return exports.export_report(job, run)
    return exports.export_events(job, _days(job.payload["start"], job.payload["end"]))


@job_handler(
    "analytics.sync",
    max_attempts=5,  # the seed's job processor: 5 attempts, 5 minutes apart
    retry_delay=timedelta(minutes=5),
    timeout=timedelta(minutes=10),
    schema={
        "type": "object",
        "properties": {
            "platform": {"enum": ["ga4"]},
            "startDate": {"type": "string", "format": "date"},
            "endDate": {"type": "string", "format": "date"},
        },
        "required": ["platform"],
        "additionalProperties": False,
    },
)
def sync_analytics(job: Job) -> dict[str, Any]:
    """The seed's `analytics.sync` (`{"platform": "ga4", "startDate", "endDate"}`; without
    dates, from the last days pulled to yesterday). Stopped by the quota share, it queues
    itself for the rest at the time the quota allows."""
    from datetime import date

    from analytics import ga4
    from jobs.services import enqueue

    try:
        if "startDate" in job.payload or "endDate" in job.payload:
            start = date.fromisoformat(job.payload.get("startDate", ""))
            end = date.fromisoformat(job.payload.get("endDate", ""))
        else:
            start, end = ga4.default_range()
    except ValueError:
        raise PermanentJobError("startDate and endDate: two dates, like 2026-11-01") from None
    if end < start:
        raise PermanentJobError("endDate: on or after startDate")
    try:
        result = ga4.sync(start, end)
    except (ga4.Ga4NotConfigured, ga4.Ga4Refused) as exc:
        raise PermanentJobError(str(exc)) from None
    answer: dict[str, Any] = {"days": len(result.days), "rows": result.rows}
    if result.resume_from is not None:
        rest = {"platform": "ga4", "startDate": result.resume_from.isoformat(),
                "endDate": end.isoformat()}  # fmt: skip
        follow_up, _ = enqueue(
            job_type="analytics.sync", payload=rest, scheduled_for=result.resume_at,
            idempotency_key=f"analytics.sync:{job.pk}:rest",
        )  # fmt: skip
        answer |= {"stopped": result.reason, "continuesAt": result.resume_at.isoformat(),
                   "continuedBy": str(follow_up.pk), "from": rest["startDate"]}  # fmt: skip
    return answer


@job_handler(
    "analytics.forward",
    max_attempts=5,
    retry_delay=timedelta(minutes=1),
    schema=EVENT_IDS,
)
def forward_to_ga4(job: Job) -> dict[str, Any]:
    """Orders to GA4 through the Measurement Protocol (see analytics.measurement_protocol)."""
    from analytics import measurement_protocol
    from benchbarrier import outbound

    if not measurement_protocol.configured():
        raise PermanentJobError("GA4_MEASUREMENT_ID and GA4_API_SECRET are not set")
    try:
        return measurement_protocol.forward(job.payload["eventIds"])
    except outbound.BlockedAddress as exc:
        raise PermanentJobError(str(exc)) from None
