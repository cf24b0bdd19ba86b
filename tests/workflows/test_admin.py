"""The workflow screens a marketer uses."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from benchbarrier.models import AuditLogEntry
from marketing.models import Customer
from tests.workflows.helpers import CART, run_due, seed_workflow
from workflows.demo import SEED_WORKFLOWS
from workflows.models import Workflow, WorkflowExecution
from workflows.services import start_execution

pytestmark = pytest.mark.django_db


def form_data(seed: dict, **changes) -> dict:
    data = {
        "name": seed["name"], "description": "", "trigger_type": seed["triggerType"],
        "trigger_config": json.dumps(seed["triggerConfig"]), "steps": json.dumps(seed["steps"]),
        "exit_events": json.dumps(seed.get("exitEvents", [])), "reentry": "one_at_a_time",
        "reentry_period": "",
    }  # fmt: skip
    data.update(changes)
    return data


def test_the_steps_read_as_words(staff_client):
    workflow = seed_workflow("Abandoned Cart Recovery")
    page = staff_client.get(reverse("admin:workflows_workflow_change", args=[workflow.pk]))
    text = page.content.decode().replace("&quot;", '"')
    for words in ["wait 1h", 'email "abandoned-cart-reminder"', "wait 24h",
                  "if cart.stillAbandoned", "if yes", 'email "abandoned-cart-discount"']:  # fmt: skip
        assert words in text, words


def test_a_bad_step_is_shown_with_its_path_and_nothing_is_saved(staff_client):
    seed = json.loads(json.dumps(SEED_WORKFLOWS[0]))
    seed["steps"][3]["ifTrue"][0]["template"] = "abandoned-cart-discont"
    response = staff_client.post(reverse("admin:workflows_workflow_add"), form_data(seed))
    assert response.status_code == 200
    text = response.content.decode().replace("&quot;", '"')
    assert 'steps[3].ifTrue[0].template: unknown template "abandoned-cart-discont"' in text
    assert not Workflow.objects.filter(campaign__isnull=True).exists()


def test_saving_goes_through_the_service(staff_client):
    response = staff_client.post(
        reverse("admin:workflows_workflow_add"), form_data(SEED_WORKFLOWS[0])
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert AuditLogEntry.objects.filter(action="workflow.created", actor_type="user").exists()


def test_actions_and_the_run_timeline(staff_client):
    Customer.objects.create(external_id="u1", email="u1@example.com", email_opt_in=True)
    workflow = seed_workflow("Abandoned Cart Recovery")
    changelist = reverse("admin:workflows_workflow_changelist")
    refused = staff_client.post(changelist, {"action": "run_now", "_selected_action": [workflow.pk]},
                                follow=True).content.decode()  # fmt: skip
    assert "not started: required: steps[1] (sendEmail) needs the customer" in refused
    start_execution(workflow, context=CART, user_id="u1")
    run_due()
    listing = staff_client.get(changelist).content.decode()
    assert "1 waiting" in listing
    paused = staff_client.post(changelist, {"action": "pause", "_selected_action": [workflow.pk]},
                               follow=True).content.decode()  # fmt: skip
    assert "paused, 1 run(s) held" in paused
    run = WorkflowExecution.objects.filter(user_id="u1").get()
    page = staff_client.get(reverse("admin:workflows_workflowexecution_change", args=[run.pk]))
    text = page.content.decode()
    assert "Timeline" in text and "steps[0]" in text and "background:#fff3c4" in text


def test_simulate_page(staff_client):
    workflow = seed_workflow("Abandoned Cart Recovery")
    url = reverse("admin:workflows_workflow_simulate", args=[workflow.pk])
    assert b"cart.stillAbandoned" in staff_client.get(url).content
    response = staff_client.post(
        url, {"context": json.dumps(CART), "check:cart.stillAbandoned": "no"}
    )
    text = response.content.decode()
    assert "cart.stillAbandoned is false" in text
    assert "steps[3].ifTrue[0]" not in text
