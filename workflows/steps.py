"""The step types the workflow engine itself provides. Steps that touch customers and
email (`sendEmail`, `updateCustomer`) and the named checks come from marketing."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings

from benchbarrier import outbound
from benchbarrier.durations import parse_duration
from jobs.registry import JobTypeUnknown, get_handler
from jobs.services import enqueue
from workflows.definition import EVENT_NAME
from workflows.registry import (
    DefinitionScope,
    Errors,
    StepResult,
    StepRun,
    allowed_keys,
    check_names,
    evaluate_rules,
    get_check,
    reference_errors,
    required_duration,
    resolve_values,
    step_type,
    validate_rules,
)


def _validate_wait(step: dict[str, Any], path: str, scope: DefinitionScope) -> Errors:
    return allowed_keys(step, path, {"duration"}) + required_duration(step, "duration", path)


@step_type("wait", validate=_validate_wait)
def wait(run: StepRun) -> StepResult:
    """Wait for a duration ("30m", "1h", "24h", "3d", "2w")."""
    until = run.now + parse_duration(run.step["duration"])
    return StepResult(output={"until": until.isoformat()}, wait_until=until)


def _validate_condition(step: dict[str, Any], path: str, scope: DefinitionScope) -> Errors:
    errors = allowed_keys(step, path, {"check", "ifTrue", "ifFalse"})
    check = step.get("check")
    if isinstance(check, str):
        if get_check(check) is None:
            errors.append(
                (
                    f"{path}.check",
                    f'unknown check "{check}"; use one of '
                    + ", ".join(check_names())
                    + " or a rule list",
                )
            )
    elif isinstance(check, list | dict):
        errors += validate_rules(check, f"{path}.check")
    else:
        errors.append((f"{path}.check", "a named check or a rule list is required"))
    if not step.get("ifTrue") and not step.get("ifFalse"):
        errors.append((path, "a condition needs ifTrue or ifFalse steps"))
    return errors


@step_type("condition", validate=_validate_condition, branches=("ifTrue", "ifFalse"))
def condition(run: StepRun) -> StepResult:
    """Branch on a named check or on rules about the customer."""
    check = run.step["check"]
    if isinstance(check, str):
        named = get_check(check)
        if named is None:
            raise ValueError(f'unknown check "{check}"')
        result = bool(named.func(run))
    else:
        result = evaluate_rules(check, run)
    return StepResult(output={"result": result}, branch="ifTrue" if result else "ifFalse")


def _validate_wait_for_event(step: dict[str, Any], path: str, scope: DefinitionScope) -> Errors:
    errors = allowed_keys(step, path, {"event", "match", "timeout", "onEvent", "onTimeout"})
    if not isinstance(step.get("event"), str) or not EVENT_NAME.match(step["event"]):
        errors.append((f"{path}.event", 'the event to wait for, like "order.completed"'))
    match = step.get("match", [])
    if not isinstance(match, list) or not all(isinstance(key, str) for key in match):
        errors.append(
            (f"{path}.match", 'property names that must equal the trigger\'s, like ["cartId"]')
        )
    return errors + required_duration(step, "timeout", path)


@step_type("waitForEvent", validate=_validate_wait_for_event, branches=("onEvent", "onTimeout"))
def wait_for_event(run: StepRun) -> StepResult:
    """Wait until the customer does something (with the same cart, order...) or a timeout."""
    trigger = run.context.get("trigger", {})
    match = {key: trigger.get(key) for key in run.step.get("match", [])}
    until = run.now + parse_duration(run.step["timeout"])
    wait_for = {"event": run.step["event"], "match": match, "until": until.isoformat()}
    return StepResult(output={"waitingFor": wait_for}, wait_until=until, wait_for=wait_for)


def _validate_webhook(step: dict[str, Any], path: str, scope: DefinitionScope) -> Errors:
    errors = allowed_keys(step, path, {"url", "payload"})
    url = step.get("url")
    if not isinstance(url, str) or urlsplit(url).scheme not in ("https", "http"):
        errors.append((f"{path}.url", "an http(s) URL is required"))
    return errors + reference_errors(step.get("payload", {}), f"{path}.payload", scope)


@step_type("webhook", validate=_validate_webhook)
def webhook(run: StepRun) -> StepResult:
    """POST the context (or a payload) to a URL, signed with HMAC-SHA256."""
    payload = resolve_values(run.step.get("payload", {"context": run.context}), run.context)
    body = json.dumps(payload, sort_keys=True, default=str).encode()
    signed = outbound.signed_headers(settings.WORKFLOW_WEBHOOK_SECRET, body, run.now)
    status = outbound.post(
        run.step["url"],
        body,
        {**signed, "Idempotency-Key": run.idempotency_key},
        allowed_hosts=settings.WORKFLOW_WEBHOOK_ALLOWED_HOSTS,
        timeout=(3, 5),  # a claim batch of webhook steps must fit the step time limit
    )
    return StepResult(output={"status": status})


def _validate_enqueue_job(step: dict[str, Any], path: str, scope: DefinitionScope) -> Errors:
    errors = allowed_keys(step, path, {"jobType", "payload"})
    try:
        get_handler(step.get("jobType") or "")
    except JobTypeUnknown as exc:
        errors.append((f"{path}.jobType", str(exc)))
    if not isinstance(step.get("payload", {}), dict):
        errors.append((f"{path}.payload", "must be an object"))
    return errors + reference_errors(step.get("payload", {}), f"{path}.payload", scope)


@step_type("enqueueJob", validate=_validate_enqueue_job)
def enqueue_job(run: StepRun) -> StepResult:
    """Queue any registered job type (once per execution and step)."""
    job, _ = enqueue(
        job_type=run.step["jobType"],
        payload=resolve_values(run.step.get("payload", {}), run.context),
        idempotency_key=run.idempotency_key,
    )
    return StepResult(output={"jobId": str(job.pk)})


@step_type("exit", validate=lambda step, path, scope: allowed_keys(step, path, set()))
def exit_step(run: StepRun) -> StepResult:
    """End the execution here."""
    return StepResult(exit=True)
