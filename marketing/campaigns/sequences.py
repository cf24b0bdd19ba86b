"""Sequences: the seed's campaign templates (welcome-series, win-back, post-purchase),
shipped as data exactly as the seed writes them and run by the workflow engine.

Each is a Campaign (kind `sequence`, key = the seed's key) with a workflow the project
generates from its steps and keeps in sync: runs, waits, pause/resume and the step log
come from the engine. A step's `delay` counts (in days) from the start of the sequence,
as the seed writes it, so the workflow waits the difference between steps. A step's
`subject` overrides its template's. Each email a sequence sends is a campaign send
(unique per campaign, customer and step), so its opens, clicks and orders count as the
campaign's. A sequence step may A/B test its content: each run gets a variant until the
step is decided (once, when every variant has AB_MIN_SAMPLE sends old enough to judge),
then the winner.
"""

from __future__ import annotations

import string
from typing import Any

from django.db import transaction

from benchbarrier import clock
from benchbarrier.services.audit import Actor
from marketing.campaigns import abtest
from marketing.campaigns.models import (
    Campaign,
    CampaignKind,
    CampaignSend,
    CampaignStatus,
    SendStatus,
)
from marketing.models import Customer, EmailTemplate
from workflows.models import WorkflowExecution
from workflows.registry import StepRun
from workflows.services import (
    cancel_execution,
    pause_workflow,
    resume_workflow,
    save_workflow,
    start_execution,
)

# The seed's campaignTemplates, as written.
SEED_SEQUENCES: dict[str, dict[str, Any]] = {
    "welcome-series": {
        "name": "New Customer Welcome Series",
        "type": "email",
        "steps": [
            {"delay": 0, "subject": "Welcome to BenchBarrier! 🎉", "template": "welcome-email"},
            {
                "delay": 3,
                "subject": "Get Started with Your First Order",
                "template": "first-order-guide",
            },
            {
                "delay": 7,
                "subject": "Here's 10% Off Your First Purchase",
                "template": "first-purchase-discount",
            },
        ],
    },
    "win-back": {
        "name": "Win Back Inactive Customers",
        "type": "email",
        "steps": [
            {"delay": 0, "subject": "We miss you! Here's what's new.", "template": "win-back-1"},
            {
                "delay": 7,
                "subject": "Exclusive 20% off - Just for you",
                "template": "win-back-discount",
            },
        ],
    },
    "post-purchase": {
        "name": "Post-Purchase Engagement",
        "type": "email",
        "steps": [
            {
                "delay": 1,
                "subject": "Thanks for your order! Track it here",
                "template": "order-confirmation",
            },
            {
                "delay": 14,
                "subject": "How's your BenchBarrier working out?",
                "template": "product-feedback",
            },
            {
                "delay": 30,
                "subject": "Share your experience and get rewarded",
                "template": "review-request",
            },
        ],
    },
}

# What starts each, who leaves early, how often one customer may run it, and what its
# discount gives (the seed's subjects promise 10% and 20%).
WIRING: dict[str, dict[str, Any]] = {
    "welcome-series": {
        "trigger": {"event": "user.created"},
        "exit_events": [{"event": "order.completed", "match": []}],
        "reentry": "once_ever",
        "settings": {"discount": {"percentOff": 10, "expiresIn": "14d"}},
    },
    "win-back": {
        "trigger": {"event": "segment.entered", "filter": {"segmentName": "Inactive Users"}},
        "exit_events": [{"event": "order.completed", "match": []}],
        "reentry": "once_per_period",
        "reentry_period": "90d",
        "settings": {"discount": {"percentOff": 20, "expiresIn": "14d"}},
    },
    "post-purchase": {
        "trigger": {"event": "order.completed"},
        "exit_events": [],
        "reentry": "allow",
        "settings": {},
    },
}


class SequenceError(ValueError):
    pass


def workflow_steps(campaign: Campaign) -> list[dict[str, Any]]:
    """The engine's steps for a sequence: a wait for the days between steps, then the
    email, marked with the campaign and the step it is."""
    steps: list[dict[str, Any]] = []
    previous = 0
    for index, step in enumerate(campaign.schedule_config["steps"]):
        gap = int(step["delay"]) - previous
        if gap > 0:
            steps.append({"type": "wait", "duration": f"{gap}d"})
        previous = int(step["delay"])
        email = {
            "type": "sendEmail",
            "template": step["template"],
            "campaign": {"id": campaign.pk, "step": index},
        }
        if step.get("subject"):
            email["subject"] = step["subject"]
        if step.get("variants"):
            email["variants"] = step["variants"]
        steps.append(email)
    return steps


def install(key: str, *, actor: Actor) -> Campaign:
    """The seed's sequence `key` as a campaign with its workflow (made once; a later
    call brings the workflow in line with the campaign's steps)."""
    seed = SEED_SEQUENCES[key]
    with transaction.atomic():
        campaign, _ = Campaign.objects.get_or_create(
            key=key,
            defaults={
                "name": seed["name"],
                "type": seed["type"],
                "kind": CampaignKind.SEQUENCE,
                "status": CampaignStatus.ACTIVE,
                "schedule_config": {"steps": seed["steps"], "trigger": WIRING[key]["trigger"]},
            },
        )
        _sync_workflow(campaign, actor)
    return campaign


def save_sequence(
    *, campaign: Campaign, steps: Any, actor: Actor, request: Any = None
) -> Campaign:
    """New steps for a sequence (each problem named by its place, `steps[1].delay`);
    its workflow follows. Runs under way keep the steps they started with."""
    errors = step_errors(steps)
    if errors:
        raise SequenceStepsError(errors)
    before = campaign.schedule_config.get("steps", [])
    with transaction.atomic():
        campaign.decision = {  # a test whose variants changed starts again
            key: outcome
            for key, outcome in (campaign.decision or {}).items()
            if _same_test(before, steps, int(key.removeprefix("step")))
        }
        campaign.schedule_config = {**campaign.schedule_config, "steps": steps}
        campaign.updated_at = clock.now()
        campaign.save(update_fields=["schedule_config", "decision", "updated_at"])
        _sync_workflow(campaign, actor, request)
    return campaign


def _sync_workflow(campaign: Campaign, actor: Actor, request: Any = None) -> None:
    wiring = WIRING[campaign.key]
    workflow = save_workflow(
        workflow=campaign.workflow,
        actor=actor,
        request=request,
        name=f"Sequence: {campaign.name}",
        description=f"Generated from the campaign sequence {campaign.key}; edit the campaign.",
        trigger_type="event",
        trigger_config=campaign.schedule_config["trigger"],
        steps=workflow_steps(campaign),
        exit_events=wiring["exit_events"],
        reentry=wiring["reentry"],
        reentry_period=wiring.get("reentry_period", ""),
        settings=wiring["settings"],
    )
    if campaign.workflow_id != workflow.pk:
        campaign.workflow = workflow
        campaign.save(update_fields=["workflow"])


class SequenceStepsError(ValueError):
    """Steps a sequence cannot run; `errors` holds (field, message) pairs."""

    def __init__(self, errors: list[tuple[str, str]]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors))


MAX_STEPS = 10


def _same_test(before: list[dict[str, Any]], after: list[dict[str, Any]], index: int) -> bool:
    def test(steps: list[dict[str, Any]]) -> Any:
        return steps[index].get("variants") if index < len(steps) else None

    return test(before) == test(after)


def step_errors(steps: Any) -> list[tuple[str, str]]:
    """What is wrong with a sequence's steps: each needs a known template and a delay
    in whole days from the start, no earlier than the step before it."""
    if not isinstance(steps, list) or not 1 <= len(steps) <= MAX_STEPS:
        return [("steps", f"a list of 1 to {MAX_STEPS} steps")]
    slugs = set(EmailTemplate.objects.values_list("slug", flat=True))
    errors: list[tuple[str, str]] = []
    previous = 0
    for index, step in enumerate(steps):
        path = f"steps[{index}]"
        if not isinstance(step, dict):
            errors.append((path, '{"delay": 3, "subject": "...", "template": "<slug>"}'))
            continue
        unknown = set(step) - {"delay", "subject", "template", "variants", "metric", "fallback"}
        if unknown:
            errors.append((path, f"unknown key(s): {', '.join(sorted(unknown))}"))
        delay = step.get("delay")
        if not isinstance(delay, int) or isinstance(delay, bool) or delay < 0:
            errors.append(
                (f"{path}.delay", "whole days from the start of the sequence, 0 or more")
            )
        elif delay < previous:
            errors.append((f"{path}.delay", f"no earlier than the step before (day {previous})"))
        else:
            previous = delay
        if step.get("template") not in slugs:
            errors.append((f"{path}.template", "an email template's slug"))
        if not isinstance(step.get("subject", ""), str) or len(step.get("subject", "")) > 255:
            errors.append((f"{path}.subject", "text of at most 255 characters"))
        errors += _test_errors(step, path)
    return errors


def _test_errors(step: dict[str, Any], path: str) -> list[tuple[str, str]]:
    from marketing.campaigns.models import WinnerMetric

    errors = sequence_step_errors({"campaign": {}, **step}, path)
    errors = [e for e in errors if not e[0].endswith(".campaign")]
    if step.get("metric", WinnerMetric.CLICK_RATE) not in WinnerMetric.values:
        errors.append((f"{path}.metric", f"one of {', '.join(WinnerMetric.values)}"))
    if step.get("fallback", "leader") not in ("leader", "control"):
        errors.append((f"{path}.fallback", "leader or control"))
    return errors


def start_for(*, campaign: Campaign, user_id: str, actor: Actor) -> WorkflowExecution | None:
    """Start the sequence for one customer now (None: re-entry forbids it)."""
    if not Customer.objects.filter(external_id=user_id).exists():
        raise SequenceError(f'no customer has the site user id "{user_id}"')
    return start_execution(campaign.workflow, context={}, user_id=user_id, actor=actor)


def stop_for(*, campaign: Campaign, user_id: str, actor: Actor) -> int:
    """End the customer's running runs of the sequence; returns how many."""
    runs = WorkflowExecution.objects.filter(
        workflow=campaign.workflow,
        user_id=user_id,
        status__in=["pending", "running", "waiting", "paused"],
    )
    for run in runs:
        cancel_execution(execution=run, actor=actor)
    return len(runs)


def switch(*, campaign: Campaign, on: bool, actor: Actor, request: Any = None) -> Campaign:
    """Resume (on) or pause a sequence: its workflow with it."""
    if on:
        resume_workflow(workflow=campaign.workflow, actor=actor, request=request)
    else:
        pause_workflow(workflow=campaign.workflow, actor=actor, request=request)
    campaign.status = CampaignStatus.ACTIVE if on else CampaignStatus.PAUSED
    campaign.save(update_fields=["status"])
    return campaign


def install_all(*, active: bool = False) -> list[Campaign]:
    """Every seed sequence, made where missing; new ones start paused unless `active`
    (a shop switches its automatic emails on itself)."""
    actor = Actor.system("sequences")
    made = []
    for key in SEED_SEQUENCES:
        fresh = not Campaign.objects.filter(key=key).exists()
        campaign = install(key, actor=actor)
        if fresh and not active:
            switch(campaign=campaign, on=False, actor=actor)
        made.append(campaign)
    return made


# --- the sendEmail step's campaign parts -----------------------------------------------------


def sequence_step_errors(step: dict[str, Any], path: str) -> list[tuple[str, str]]:
    marker = step.get("campaign")
    errors: list[tuple[str, str]] = []
    if marker is not None and not (
        isinstance(marker, dict)
        and isinstance(marker.get("id"), int)
        and isinstance(marker.get("step"), int)
        and Campaign.objects.filter(pk=marker["id"]).exists()
    ):
        errors.append((f"{path}.campaign", 'the campaign step it is: {"id": 3, "step": 0}'))
    variants = step.get("variants")
    if variants is not None:
        slugs = set(EmailTemplate.objects.values_list("slug", flat=True))
        if marker is None:
            errors.append((f"{path}.variants", "an A/B test needs the campaign step it is"))
        if not isinstance(variants, list) or not 2 <= len(variants) <= 4:
            errors.append((f"{path}.variants", "2 to 4 variants"))
        else:
            for index, variant in enumerate(variants):
                if not isinstance(variant, dict) or not (
                    variant.get("subject") or variant.get("template")
                ):
                    errors.append((f"{path}.variants[{index}]", "a subject or a template"))
                elif variant.get("template") and variant["template"] not in slugs:
                    errors.append((f"{path}.variants[{index}].template", "unknown template"))
    return errors


def sequence_content(run: StepRun) -> tuple[str, str, str]:
    """(template, subject, variant) for this run: the step's own, or, in an A/B test,
    the decided winner's or this run's variant."""
    step = run.step
    variants = step.get("variants") or []
    if not variants:
        return step["template"], step.get("subject", ""), ""
    decided = _decision(step)
    name = decided or string.ascii_uppercase[run.execution.pk % len(variants)]
    chosen = variants[ord(name) - ord("A")]
    return (
        chosen.get("template", step["template"]),
        chosen.get("subject", step.get("subject", "")),
        name,
    )


def _decision(step: dict[str, Any]) -> str:
    marker = step.get("campaign") or {}
    campaign = Campaign.objects.filter(pk=marker.get("id")).values_list("decision", flat=True)
    decisions = campaign.first() or {}
    return (decisions.get(f"step{marker.get('step')}") or {}).get("winner", "")


def record_sequence_send(
    run: StepRun, customer: Customer | None, delivery: Any, variant: str
) -> int | None:
    """The campaign send of this step for this customer (once: a retried step finds it)."""
    if customer is None:
        return None
    marker = run.step["campaign"]
    send, _ = CampaignSend.objects.get_or_create(
        campaign_id=marker["id"],
        customer=customer,
        step=marker["step"],
        defaults={
            "delivery": delivery,
            "variant": variant,
            "status": SendStatus.QUEUED,
            "queued_at": clock.now(),
            "due_at": clock.now(),
        },
    )
    return send.pk


def decide_steps(campaign: Campaign) -> list[str]:
    """Decide each A/B-tested step of a sequence once every variant has enough sends old
    enough to judge (one look per step: its decision is then kept)."""
    decided = []
    for index, step in enumerate(campaign.schedule_config.get("steps", [])):
        key = f"step{index}"
        variants = step.get("variants") or []
        if len(variants) < 2 or key in (campaign.decision or {}):
            continue
        test = {
            "variants": variants,
            "metric": step.get("metric", "click_rate"),
            "fallback": step.get("fallback", "leader"),
        }
        cutoff = clock.now() - abtest.wait_of(test)
        ready = abtest.results(campaign, step=index, sent_before=cutoff)
        if len(ready) < len(variants) or min(v.recipients for v in ready) < abtest.min_sample():
            continue
        outcome = abtest.decide(
            campaign, now=clock.now(), test=test, step=index, sent_before=cutoff
        )
        Campaign.objects.filter(pk=campaign.pk).update(
            decision={**(campaign.decision or {}), key: outcome}
        )
        campaign.decision = {**(campaign.decision or {}), key: outcome}
        decided.append(key)
    return decided
