"""The seed's alerts, each driven from healthy to firing to resolved with real data: one
grouped notification (email and the team's signed webhook), no reminder before the
repeat interval, the resolved notice in the evaluation that sees the condition clear,
and a silence holding notifications back."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command

from benchbarrier import clock
from benchbarrier.models import AlertEvent, AlertRule, AlertState, Silence
from benchbarrier.services.alerts import evaluate_all
from benchbarrier.services.spend import record_spend
from jobs.models import Job, JobStatus
from jobs.registry import PermanentJobError, job_handler
from jobs.services import enqueue
from marketing.models import DeliveryStatus, EmailDelivery, EmailTemplate
from tests.conftest import run_due_jobs
from tests.local_server import JsonHandler, LocalServer

pytestmark = pytest.mark.django_db
SECRET = "alert-signing-secret"


@job_handler("tests.sometimes_fails", max_attempts=1)
def sometimes_fails(job: Job) -> None:
    if job.payload.get("fail"):
        raise PermanentJobError("told to fail")


class Team:
    """The team's Slack-compatible webhook: keeps each signed post."""

    def __init__(self) -> None:
        self.posts: list[dict] = []
        team, lock = self, threading.Lock()

        class Handler(JsonHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                signed = hmac.new(SECRET.encode(), self.headers["X-Timestamp"].encode() + b"."
                                  + body, hashlib.sha256).hexdigest()  # fmt: skip
                with lock:
                    team.posts.append({"body": json.loads(body), "signed": self.headers[
                        "X-Signature"] == f"sha256={signed}"})  # fmt: skip
                self.send_json(200, {"ok": True})

        self.server = LocalServer(Handler)


@pytest.fixture
def team(settings):
    team = Team()
    settings.ALERT_EMAILS = ["ops@shop.example"]
    settings.ALERT_WEBHOOK_URL = f"{team.server.url}/hooks/alerts"
    settings.ALERT_WEBHOOK_SECRET = SECRET
    settings.ALERT_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    yield team
    team.server.close()


def notices() -> list[str]:
    """The subjects of the alert emails queued, oldest first."""
    found = EmailDelivery.objects.filter(template__slug="operations-alert").order_by("pk")
    assert all(d.to_email == "ops@shop.example" for d in found)
    return [d.variables["alert"]["subject"] for d in found]


def lines() -> list[dict]:
    """The alert lines of the latest notification."""
    delivery = EmailDelivery.objects.filter(template__slug="operations-alert").last()
    return delivery.variables["alert"]["lines"]


def test_queue_backup_waits_out_its_for_fires_once_and_resolves_at_once(team):
    for n in range(101):
        enqueue(job_type="jobs.noop", idempotency_key=f"backlog-{n}")
    evaluate_all()
    assert notices() == []  # pending: it must hold 2 minutes
    assert AlertState.objects.get(rule__key="queue-backup").status == "pending"
    clock.advance(timedelta(minutes=2))
    evaluate_all()
    assert notices() == ["[FIRING] Job queue backup"]
    (line,) = lines()
    assert line["message"].startswith(
        "Job queue backup: 101 jobs is above 100 jobs; jobs.noop 101"
    )
    assert "/admin/jobs/job/?status__in=pending,retrying" in line["link"] and line["since"]
    (post,) = team.posts
    assert post["signed"] and post["body"]["rule"] == "queue-backup"
    clock.advance(timedelta(minutes=59))
    evaluate_all()
    assert len(notices()) == 1  # no reminder before the repeat interval (60 minutes)
    clock.advance(timedelta(minutes=1))
    evaluate_all()
    assert notices()[-1] == "[FIRING] Job queue backup" and len(notices()) == 2  # reminded
    Job.objects.filter(job_type="jobs.noop").update(status=JobStatus.COMPLETED,
                                                     completed_at=clock.now())  # fmt: skip
    evaluate_all()
    assert notices()[-1] == "[RESOLVED] Job queue backup"
    assert lines()[0]["message"].startswith("Resolved: Job queue backup")
    assert not AlertState.objects.filter(rule__key="queue-backup").exists()
    kinds = list(AlertEvent.objects.filter(rule__key="queue-backup").order_by("pk")
                 .values_list("kind", flat=True))  # fmt: skip
    assert kinds == ["pending", "firing", "repeat", "resolved"]


def test_job_failure_rate_needs_its_minimum_count_and_groups_by_type(team):
    for n in range(2):
        enqueue(job_type="tests.sometimes_fails", payload={"fail": n == 0})
    run_due_jobs()
    evaluate_all()
    assert "[FIRING] High job failure rate" not in notices()  # 1 of 2: below the minimum
    for n in range(18):
        enqueue(job_type="tests.sometimes_fails", payload={"fail": n < 2})
    run_due_jobs()  # 3 of 20 failed: 15%
    evaluate_all()
    assert "[FIRING] High job failure rate" in notices()
    delivery = EmailDelivery.objects.filter(
        template__slug="operations-alert", variables__alert__rule="High job failure rate"
    ).get()
    (line,) = delivery.variables["alert"]["lines"]
    assert line["group"] == "tests.sometimes_fails"
    assert "15.00 % is above 10 %; 3 of 20 failed" in line["message"]
    assert "job_type=tests.sometimes_fails&status=failed" in line["link"]
    clock.advance(timedelta(minutes=16))  # the failures leave the window
    evaluate_all()
    assert "[RESOLVED] High job failure rate" in notices()


def test_thirty_jobs_failing_for_good_are_one_notification(team):
    for _ in range(30):
        enqueue(job_type="tests.sometimes_fails", payload={"fail": True})
    run_due_jobs()
    evaluate_all()
    failed = [s for s in notices() if s.startswith("[FIRING] A job failed for good")]
    assert failed == ["[FIRING] A job failed for good"]
    rule = AlertRule.objects.get(key="job-failed")
    assert rule.events.get(kind="firing").value == Decimal(30)


def failed_run(user_id: str) -> object:
    """A run of the seed's cart workflow that failed for good (its job did)."""
    from tests.workflows.helpers import seed_workflow
    from workflows.models import Workflow, WorkflowExecution
    from workflows.runs import fail_execution

    workflow = (Workflow.objects.filter(name="Abandoned Cart Recovery").first()
                or seed_workflow("Abandoned Cart Recovery"))  # fmt: skip
    run = WorkflowExecution.objects.create(workflow=workflow, user_id=user_id, context={},
                                           definition=workflow.steps)  # fmt: skip
    fail_execution(run.pk, "the ESP refused the template")
    return workflow


def test_a_failed_workflow_run_fires_workflow_errors(team):
    workflow = failed_run("u1")
    evaluate_all()
    assert notices() == ["[FIRING] Workflow errors"]
    (line,) = EmailDelivery.objects.get().variables["alert"]["lines"]
    assert line["group"] == "Abandoned Cart Recovery"
    assert f"status__exact=failed&workflow__id__exact={workflow.pk}" in line["link"]
    clock.advance(timedelta(minutes=16))
    evaluate_all()
    assert notices() == ["[FIRING] Workflow errors", "[RESOLVED] Workflow errors"]


def test_a_delivery_rate_of_90_percent_on_200_emails_fires(team):
    template = EmailTemplate.objects.get(slug="welcome")
    EmailDelivery.objects.bulk_create([
        EmailDelivery(template=template, to_email=f"c{n}@example.com", idempotency_key=f"t{n}",
                      status=DeliveryStatus.BOUNCED if n < 20 else DeliveryStatus.DELIVERED)
        for n in range(200)
    ])  # fmt: skip
    evaluate_all()
    assert notices() == ["[FIRING] Low email delivery rate"]
    (line,) = lines()
    assert line["message"] == ("Low email delivery rate: 90.00 % is below 95 %; of 200 "
                               "emails")  # fmt: skip
    assert "status__in=bounced,failed" in line["link"]
    EmailDelivery.objects.filter(status=DeliveryStatus.BOUNCED).exclude(
        template__slug="operations-alert").update(status=DeliveryStatus.DELIVERED)  # fmt: skip
    evaluate_all()
    assert notices()[-1] == "[RESOLVED] Low email delivery rate"


def test_a_spend_spike_fires_above_three_times_the_weeks_average(team):
    def spend(amount: str) -> None:
        record_spend(service="openai", operation="chat.completion", cost=Decimal(amount),
                     model="gpt-4o-mini")  # fmt: skip

    for days_ago in range(1, 8):  # 7 days at 2.00 a day
        with clock.travel(-timedelta(days=days_ago)):
            spend("2.00")
    spend("6.00")
    evaluate_all()
    assert "[FIRING] Spend spike" not in notices()  # 3x is not above 3x
    spend("0.50")
    evaluate_all()
    assert "[FIRING] Spend spike" in notices()
    delivery = EmailDelivery.objects.get(variables__alert__rule="Spend spike")
    (line,) = delivery.variables["alert"]["lines"]
    assert line["group"] == "openai"
    assert "3.25 x is above 3 x; 6.50 today against 2.00 a day" in line["message"]


def test_a_silence_holds_notifications_back_until_it_ends(team):
    rule = AlertRule.objects.get(key="workflow-errors")
    Silence.objects.create(rule=rule, ends_at=clock.now() + timedelta(hours=1),
                           reason="deploying the new cart flow")  # fmt: skip
    failed_run("u1")
    evaluate_all()
    assert notices() == [] and team.posts == []
    event = AlertEvent.objects.get(kind="firing")
    assert event.silenced_by is not None and not event.notified  # recorded, not told
    clock.advance(timedelta(minutes=55))
    failed_run("u2")  # runs keep failing
    clock.advance(timedelta(minutes=6))  # the silence has ended
    evaluate_all()
    assert notices() == ["[FIRING] Workflow errors"]


def test_budgets_at_80_and_100_percent(team):
    record_spend(service="openai", operation="chat.completion", cost=Decimal("410"),
                 model="gpt-4o-mini")  # fmt: skip
    evaluate_all()
    assert notices() == ["[FIRING] Budget 80% spent"]
    assert lines()[0]["group"] == "openai"


def test_the_command_evaluates_once_and_beat_queues_one_evaluation_a_minute(team, capsys):
    from jobs.tasks import evaluate_alerts

    evaluate_alerts()
    evaluate_alerts()  # beat firing twice in a minute: one job
    assert Job.objects.filter(job_type="alerts.evaluate").count() == 1
    run_due_jobs()
    assert Job.objects.get(job_type="alerts.evaluate").result["evaluated"] == 10
    call_command("alerts_evaluate")
    assert "rules evaluated: 10" in capsys.readouterr().out


def test_the_rules_export_as_a_prometheus_rules_file(tmp_path):
    out = tmp_path / "rules.yml"
    call_command("alerts_export_rules", output=str(out))
    text = out.read_text()
    assert "- alert: JobQueueBackup" in text and 'expr: "sum(bb_job_queue_depth) > 100"' in text
    assert "for: 2m" in text and "budget-80: spend.budget_used lives in the database" in text


def test_the_api_lists_rules_with_their_state_the_history_and_silences(team, key_client):
    failed_run("u1")
    evaluate_all()
    api = key_client("admin")
    rules = {r["key"]: r for r in api.get("/api/monitoring/rules").json()["results"]}
    assert set(rules) >= {"queue-backup", "job-failure-rate", "ai-cost-spike",
                          "workflow-errors", "email-delivery-rate"}  # fmt: skip
    errors = rules["workflow-errors"]
    assert errors["threshold"] == "0.0000" and errors["unit"] == "runs"
    assert errors["states"][0]["group"] == "Abandoned Cart Recovery"
    assert errors["states"][0]["status"] == "firing"
    history = api.get("/api/monitoring/alerts", {"rule": "workflow-errors", "kind": "firing"})
    (fired,) = history.json()["results"]
    assert fired["notified"] is True and fired["link"].startswith("/admin/workflows/")
    made = api.post("/api/monitoring/silences", {"rule": "queue-backup", "reason": "migrating",
                    "endsAt": (clock.now() + timedelta(hours=2)).isoformat()}, format="json")  # fmt: skip
    assert made.status_code == 201 and made.json()["active"] is True
    past = api.post("/api/monitoring/silences", {"reason": "x", "endsAt": "2020-01-01T00:00:00Z"},
                    format="json")  # fmt: skip
    assert past.status_code == 400 and past.json()["errors"][0]["field"] == "endsAt"
    assert api.delete(f"/api/monitoring/silences/{made.json()['id']}").status_code == 204
    assert api.get(f"/api/monitoring/silences/{made.json()['id']}").json()["active"] is False
    assert key_client("marketing").get("/api/monitoring/rules").status_code == 403


def test_the_operations_page_shows_firing_alerts_first_then_queue_runs_delivery_spend(
    team, staff_client
):
    from django.urls import reverse

    failed_run("u1")
    for n in range(3):
        enqueue(job_type="jobs.noop", idempotency_key=f"w{n}")
    evaluate_all()
    page = staff_client.get(reverse("admin:operations")).content.decode()
    assert page.index('aria-label="Alerts firing"') < page.index('aria-label="Queue')
    assert "Workflow errors (Abandoned Cart Recovery)" in page
    for title in ("Queue: due jobs waiting, 24 h", "Throughput and failures, 24 h",
                  "Workflow runs started in 24 h", "Email delivery rate",
                  "Spend against budgets (this month)", "Evaluation and workers"):  # fmt: skip
        assert title in page, title
    assert "<svg" in page  # the 24 h charts
    dashboard = staff_client.get(reverse("admin:index")).content.decode()
    assert 'aria-label="Operations"' in dashboard and "alerts firing" in dashboard


def test_the_rule_form_says_what_to_fix(staff_client):
    from django.urls import reverse

    rule = AlertRule.objects.get(key="job-failure-rate")
    url = reverse("admin:benchbarrier_alertrule_change", args=[rule.pk])
    answer = staff_client.post(url, {
        "key": rule.key, "name": rule.name, "signal": "jobs.failure_rate",
        "comparison": "above", "threshold": "150", "window": "00:00:00", "min_count": "20",
        "for_duration": "0", "repeat_interval": "02:00:00", "severity": "critical",
        "enabled": "on",
    })  # fmt: skip
    text = answer.content.decode()
    assert "This signal is a percentage: give 0 to 100." in text
    assert "Give a positive duration, e.g. 00:15:00 for 15 minutes." in text
    silence = staff_client.post(reverse("admin:benchbarrier_silence_add"), {
        "rule": rule.pk, "group": "", "ends_at_0": "2020-01-01", "ends_at_1": "10:00",
        "reason": "deploy"})  # fmt: skip
    assert "Give a time in the future" in silence.content.decode()


def test_an_api_key_a_month_old_is_due_for_rotation(team, issue_key, staff_client):
    from django.urls import reverse

    from benchbarrier.models import APIKey

    old = issue_key("analytics", name="storefront")
    APIKey.objects.filter(pk=old.api_key.pk).update(created=clock.now() - timedelta(days=31))
    issue_key("chat", name="widget")  # new: fine
    evaluate_all()
    assert notices() == ["[FIRING] API key due for rotation"]
    (line,) = lines()
    assert line["group"] == f"storefront ({old.api_key.prefix})" and "31 days" in line["message"]
    page = staff_client.get(reverse("admin:benchbarrier_apikey_changelist")).content.decode()
    assert "31 days: rotate it" in page and "0 days" in page


def test_an_evaluation_run_twice_notifies_once(team):
    from jobs.tasks import evaluate_alerts
    from tests.at_least_once import run_twice

    enqueue(job_type="tests.sometimes_fails", payload={"fail": True})
    run_due_jobs()
    evaluate_alerts()

    run_twice("alerts.evaluate")

    assert notices() == ["[FIRING] A job failed for good"]
    assert len(team.posts) == 1
    assert AlertEvent.objects.filter(rule__key="job-failed", kind="firing").count() == 1


def test_a_webhook_secret_a_month_old_is_due_for_rotation(team, staff_client):
    from workflows.models import Workflow

    hooked = Workflow.objects.create(name="Orders from the ERP", trigger_type="webhook",
                                     steps=[{"type": "enqueueJob", "jobType": "jobs.noop"}])  # fmt: skip
    Workflow.objects.filter(pk=hooked.pk).update(
        webhook_secret_set_at=clock.now() - timedelta(days=31)
    )
    evaluate_all()
    assert notices() == ["[FIRING] Webhook secret due for rotation"]
    (line,) = lines()
    assert line["group"] == "Orders from the ERP" and "31 days" in line["message"]
    page = staff_client.get(f"/admin/workflows/workflow/{hooked.pk}/change/").content.decode()
    assert "The secret is 31 day(s) old: rotate it" in page
