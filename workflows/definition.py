"""Validation of a whole workflow definition, every problem named by its path:
`steps[3].ifTrue[0].template: unknown template "abandoned-cart-discont"`."""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError
from django_celery_beat.validators import crontab_validator

from workflows.registry import (
    DefinitionScope,
    Errors,
    duration_errors,
    get_step,
    scope_for,
    step_names,
    validate_setting,
)

EVENT_NAME = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")
MAX_STEPS = 200


class DefinitionError(ValueError):
    def __init__(self, errors: Errors) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{path}: {message}" for path, message in errors))


def validate_definition(
    *,
    trigger_type: str,
    trigger_config: Any,
    steps: Any,
    exit_events: Any = (),
    reentry: str = "one_at_a_time",
    reentry_period: str = "",
    settings: Any = None,
) -> None:
    """Raises DefinitionError listing every problem."""
    errors: Errors = []
    errors += _trigger(trigger_type, trigger_config)
    errors += _settings(settings)
    scope = scope_for(trigger_type, trigger_config, settings)
    if not isinstance(steps, list) or not steps:
        errors.append(("steps", "needs at least one step"))
    else:
        errors += validate_steps(steps, "steps", scope)
        needy = step_needing_subject(steps) if trigger_type == "schedule" else None
        if needy:
            errors.append((needy.split(" ")[0], "a scheduled run is about no customer: give "
                           '"to" or start it from an event'))  # fmt: skip
        if _count(steps) > MAX_STEPS:
            errors.append(("steps", f"at most {MAX_STEPS} steps in all"))
    errors += _exit_events(exit_events)
    if reentry == "once_per_period":
        errors += duration_errors(reentry_period, "reentryPeriod")
    if errors:
        raise DefinitionError(errors)


def _settings(settings: Any) -> Errors:
    if settings is None:
        return []
    if not isinstance(settings, dict):
        return [("settings", 'an object like {"discount": {"pool": "Winter codes"}}')]
    errors: Errors = []
    for name, value in settings.items():
        errors += validate_setting(name, value, f"settings.{name}")
    return errors


def validate_steps(steps: list[Any], path: str, scope: DefinitionScope) -> Errors:
    errors: Errors = []
    for index, step in enumerate(steps):
        here = f"{path}[{index}]"
        if not isinstance(step, dict):
            errors.append((here, 'a step is an object like {"type": "wait", "duration": "1h"}'))
            continue
        kind = step.get("type")
        step_type = get_step(kind) if isinstance(kind, str) else None
        if step_type is None:
            errors.append(
                (
                    f"{here}.type",
                    f'unknown step type "{kind}"; use one of ' + ", ".join(step_names()),
                )
            )
            continue
        errors += step_type.validate(step, here, scope)
        for branch in step_type.branches:
            inner = step.get(branch, [])
            if not isinstance(inner, list):
                errors.append((f"{here}.{branch}", "must be a list of steps"))
            elif inner:
                errors += validate_steps(inner, f"{here}.{branch}", scope)
    return errors


def _trigger(trigger_type: str, config: Any) -> Errors:
    if not isinstance(config, dict):
        return [("triggerConfig", "must be an object")]
    if trigger_type == "event":
        event = config.get("event")
        if not isinstance(event, str) or not EVENT_NAME.match(event):
            return [("triggerConfig.event", 'the event that starts it, like "cart.abandoned"')]
        wanted = config.get("filter", {})
        if not isinstance(wanted, dict) or not all(
            isinstance(v, str | int | float | bool) for v in wanted.values()
        ):
            return [("triggerConfig.filter", 'properties the event must have, like '
                     '{"segmentName": "Inactive Users"}')]  # fmt: skip
        return []
    if trigger_type == "schedule":
        errors: Errors = []
        schedule = config.get("schedule")
        try:
            crontab_validator(schedule if isinstance(schedule, str) else "")
        except ValidationError as exc:
            errors.append(
                (
                    "triggerConfig.schedule",
                    f'a cron expression like "0 9 * * 1" is required ({exc.messages[0]})',
                )
            )
        timezone = config.get("timezone", "UTC")
        from zoneinfo import available_timezones

        if timezone not in available_timezones():
            errors.append(("triggerConfig.timezone", f'unknown time zone "{timezone}"'))
        return errors
    if trigger_type == "webhook":
        return []
    return [("triggerType", f'unknown trigger "{trigger_type}"; use event, schedule or webhook')]


def _exit_events(exit_events: Any) -> Errors:
    if not isinstance(exit_events, list | tuple):
        return [("exitEvents", 'a list like [{"event": "order.completed", "match": ["cartId"]}]')]
    errors: Errors = []
    for index, item in enumerate(exit_events):
        here = f"exitEvents[{index}]"
        if (
            not isinstance(item, dict)
            or not isinstance(item.get("event"), str)
            or not (EVENT_NAME.match(item["event"]))
        ):
            errors.append((f"{here}.event", 'an event name like "order.completed"'))
            continue
        match = item.get("match", [])
        if not isinstance(match, list) or not all(isinstance(key, str) for key in match):
            errors.append((f"{here}.match", "a list of property names to compare"))
    return errors


def _count(steps: list[Any]) -> int:
    total = 0
    for step in steps:
        total += 1
        if isinstance(step, dict):
            for value in step.values():
                if isinstance(value, list) and value and isinstance(value[0], dict):
                    total += _count(value)
    return total


def step_needing_subject(steps: Any, path: str = "steps") -> str | None:
    """The path (and type) of the first step that needs the run's customer, or None."""
    for index, step in enumerate(steps if isinstance(steps, list) else []):
        kind = get_step(step.get("type", "")) if isinstance(step, dict) else None
        if kind is None:
            continue
        here = f"{path}[{index}]"
        if kind.needs_subject(step):
            return f"{here} ({kind.name})"
        for branch in kind.branches:
            found = step_needing_subject(step.get(branch, []), f"{here}.{branch}")
            if found:
                return found
    return None
