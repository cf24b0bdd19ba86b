"""Jobs run at least once: a worker that dies after a handler's work but before its
completion is flushed (every 0.5 s) leaves the job to run again. `run_twice` does exactly
that to every job of a type; each shipped handler has a test that calls it and finds one
effect (tests/test_at_least_once.py checks that none is missing)."""

from __future__ import annotations

from benchbarrier import clock
from jobs import registry
from jobs.models import Job, JobStatus
from jobs.runner import run_until_idle
from jobs.services import JobSpec, enqueue_many
from tests.conftest import run_due_jobs


def run_twice(job_type: str) -> list[Job]:
    """Run every due job; then run each due job of `job_type` once more with the payload it
    had, as after a crash that lost its completion (whatever they queue runs too). A job
    that handed itself back with its next piece of work (a workflow run's) gets a twin with
    the old payload instead, as a rescued copy would be. Jobs of other types run first
    (the bus delivery that queues it). Returns the jobs."""
    others = [name for name in registry.registered_types() if name != job_type]
    for _ in run_until_idle(worker="tests", job_types=others):
        pass
    due = {job.pk: job for job in Job.objects.filter(
        job_type=job_type, status__in=[JobStatus.PENDING, JobStatus.RETRYING],
        scheduled_for__lte=clock.now())}  # fmt: skip
    assert due, f"no {job_type} job is due: {list(Job.objects.values_list('job_type', 'status'))}"
    run_due_jobs()
    ran = {job.pk: job for job in Job.objects.filter(pk__in=due)}
    for job in ran.values():
        assert job.status != JobStatus.FAILED, (job_type, job.error_message)
    completed = [pk for pk, job in ran.items() if job.status == JobStatus.COMPLETED]
    Job.objects.filter(pk__in=completed).update(
        status=JobStatus.PENDING, scheduled_for=clock.now(), attempts=0, completed_at=None,
        locked_by="", lease_expires_at=None)  # fmt: skip
    enqueue_many([JobSpec(job_type, due[pk].payload, due[pk].priority)
                  for pk in due if pk not in completed])  # fmt: skip
    run_due_jobs()
    again = list(Job.objects.filter(job_type=job_type, status=JobStatus.FAILED))
    assert again == [], [(job.payload, job.error_message) for job in again]
    return list(ran.values())
