"""Workflows with real Celery processes: a worker killed in the middle of a step and
during a wait; the run still completes and each email goes out once."""

from __future__ import annotations

import os
import signal

import pytest

from benchbarrier.models import WorkerHeartbeat
from benchbarrier.services.audit import Actor
from jobs.models import Job
from marketing.models import Customer, DeliveryStatus, EmailDelivery
from tests.processes import wait_until
from tests.workflows import slow_step  # noqa: F401  (registers test.slowOnce here too)
from workflows.models import ExecutionStatus, WorkflowExecution, WorkflowStepLog
from workflows.services import save_workflow, start_execution

pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True)]


def test_a_killed_worker_loses_no_step_and_sends_no_email_twice(celery_procs, tmp_path):
    marker = tmp_path / "slow-step-started"
    env = {
        "JOBS_HANDLER_MODULES": "tests.jobs.handlers,tests.workflows.slow_step",
        "SLOW_STEP_MARKER": str(marker),
        "JOBS_LEASE_SECONDS": "2",
        "WORKFLOW_STEP_TIMEOUT_SECONDS": "4",
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_SMART_SENDING_HOURS": "0",
        "EMAIL_QUIET_HOURS": "",
    }
    Customer.objects.create(
        external_id="u1", email="u1@example.com", name="Ada", email_opt_in=True
    )
    workflow = save_workflow(
        actor=Actor.system("tests"), name="Crash test", trigger_type="webhook", trigger_config={},
        steps=[
            {"type": "test.slowOnce"},
            {"type": "sendEmail", "template": "welcome"},
            {"type": "wait", "duration": "3s"},
            {"type": "sendEmail", "template": "getting-started-tips"},
        ],
    )  # fmt: skip
    doomed = celery_procs.worker("doomed", "--pool=solo", **env)
    wait_until(lambda: WorkerHeartbeat.objects.alive().exists(), timeout=60, what="a worker")
    execution = start_execution(workflow, context={}, user_id="u1")
    wait_until(marker.exists, timeout=30, what="the slow step to start")
    os.kill(doomed.pid, signal.SIGKILL)  # killed in the middle of a step
    doomed.wait(10)

    survivor = celery_procs.worker("survivor", "--pool=solo", **env)
    celery_procs.beat(**env)
    wait_until(
        lambda: (
            EmailDelivery.objects.filter(status=DeliveryStatus.SENT).exists()
            and WorkflowExecution.objects.get(pk=execution.pk).status == ExecutionStatus.WAITING
        ),
        timeout=60,
        what="the first email and the run in its 3 s wait",
    )
    os.kill(survivor.pid, signal.SIGKILL)  # killed during the 3 s wait
    survivor.wait(10)
    celery_procs.worker("last", "--pool=solo", **env)
    try:
        wait_until(
            lambda: (
                WorkflowExecution.objects.get(pk=execution.pk).status == ExecutionStatus.COMPLETED
                # the last step queues its email; the send is a job of its own
                and not EmailDelivery.objects.filter(
                    status__in=[DeliveryStatus.QUEUED, DeliveryStatus.SENDING]
                ).exists()
            ),
            timeout=90,
            what="the run to complete and its last email to go out",
        )
    except AssertionError:
        print(celery_procs.logs())
        print(WorkflowExecution.objects.filter(pk=execution.pk).values().get())
        for row in WorkflowStepLog.objects.filter(execution=execution).values():
            print(row)
        for row in Job.objects.order_by("created_at").values():
            print(row)
        for row in EmailDelivery.objects.values("id", "status", "reason", "template_id"):
            print(row)
        raise
    deliveries = EmailDelivery.objects.order_by("id")
    assert [(d.template.slug, d.status) for d in deliveries] == [
        ("welcome", "sent"), ("getting-started-tips", "sent"),
    ]  # fmt: skip
    sent = "".join(p.read_text() for p in (tmp_path / "sent-emails").glob("*.log"))
    assert sent.count("Subject: ") == 2
