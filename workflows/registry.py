"""The step-type plugin API: everything an app needs to add steps and checks to the
workflow engine, published from this one module.

    from workflows.registry import StepResult, StepRun, allowed_keys, check, step_type

    @step_type("sendEmail", validate=check_send_email)       # marketing/steps.py
    def send_email(run: StepRun) -> StepResult: ...

    @check("cart.stillAbandoned", "no order.completed for the cart since it was abandoned")
    def cart_still_abandoned(run: StepRun) -> bool: ...

A step's `validate(step, path, scope)` returns (path, message) errors (`allowed_keys`,
`required_duration` help; `scope` says which context namespaces a run of this workflow
can have); its `run(run)` returns a StepResult, or raises StepFailed when it can never
succeed as it is (the run fails at once, no retries). Values in a step may refer to the
run's context (`resolve_values`, `lookup`). Steps that act on the outside world use
`run.idempotency_key`, so a retried step never acts twice; steps that read the database
for their run load it for the whole batch at once (`run.batch.load`). A step that needs
the run's customer says so (`needs_subject`), so a run for an unknown user is refused
when it is asked for. Workflow-wide settings that steps read (`settings.discount`) are
registered with their validator (`workflow_setting`).

Apps register in their `steps.py`, found at start-up (WorkflowsConfig.ready).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from benchbarrier.durations import parse_duration
from jobs.registry import PermanentJobError
from workflows.context import lookup, references, resolve_values

__all__ = [
    "DefinitionScope", "Errors", "StepBatch", "StepFailed", "StepResult", "StepRun",
    "allowed_keys", "check", "delay_of", "duration_errors", "lookup", "namespace_problem",
    "reference_errors", "references", "required_duration", "resolve_values",
    "rule_language", "scope_for", "step_type", "subject_lookup", "workflow_setting",
]  # fmt: skip

Errors = list[tuple[str, str]]
# Context namespaces every run has: what started it, its customer, its steps' outputs.
BASE_NAMESPACES = frozenset({"trigger", "event", "userId", "customer", "steps"})


class StepFailed(PermanentJobError):
    """A step that can never succeed as it is (a value the run does not have, a
    customer that does not exist): the run fails at once with this message."""


@dataclass(frozen=True)
class DefinitionScope:
    """What a workflow's runs will have, for validating its steps: the context
    namespaces (`cart` for a workflow started by `cart.abandoned` events) and its
    workflow-wide settings."""

    namespaces: frozenset[str] = BASE_NAMESPACES
    settings: dict[str, Any] = field(default_factory=dict)


@dataclass
class StepBatch:
    """The runs whose steps are being run together (one claim batch). A step that needs
    data for its run loads it once for all of them: `run.batch.load(key, loader)` calls
    `loader(executions)` the first time and returns its dict on every call."""

    executions: list[Any]
    _loaded: dict[str, Any] = field(default_factory=dict)

    def load(self, key: str, loader: Callable[[list[Any]], dict[Any, Any]]) -> dict[Any, Any]:
        if key not in self._loaded:
            self._loaded[key] = loader(self.executions)
        return self._loaded[key]


@dataclass
class StepRun:
    """One step being run: the step's JSON, its path, the execution's context."""

    execution: Any
    step: dict[str, Any]
    path: str
    context: dict[str, Any]
    now: datetime
    batch: StepBatch = field(default_factory=lambda: StepBatch([]))

    @property
    def idempotency_key(self) -> str:
        """Unique per (execution, step path): side effects use it so a retried step
        never acts twice."""
        return f"workflow:{self.execution.pk}:{self.path}"


@dataclass
class StepResult:
    output: dict[str, Any] = field(default_factory=dict)
    wait_until: datetime | None = None  # go on (to the next step) at this time
    branch: str | None = None  # enter this list of the step next (ifTrue, onEvent...)
    wait_for: dict[str, Any] | None = None  # {"event", "match": {...}, "until"}
    exit: bool = False


Validator = Callable[[dict[str, Any], str, DefinitionScope], Errors]


@dataclass(frozen=True)
class StepType:
    name: str
    run: Callable[[StepRun], StepResult]
    validate: Validator
    branches: tuple[str, ...] = ()
    description: str = ""
    needs_subject: Callable[[dict[str, Any]], bool] = lambda step: False


@dataclass(frozen=True)
class Check:
    name: str
    func: Callable[[StepRun], bool]
    description: str


_steps: dict[str, StepType] = {}
_checks: dict[str, Check] = {}
_rules: dict[str, Callable[..., Any]] = {}
_settings: dict[str, Callable[[Any, str], Errors]] = {}
_subjects: dict[str, Callable[[set[str]], set[str]]] = {}


def step_type(
    name: str,
    *,
    validate: Validator | None = None,
    branches: tuple[str, ...] = (),
    description: str = "",
    needs_subject: Callable[[dict[str, Any]], bool] | None = None,
) -> Callable[[Callable[[StepRun], StepResult]], Callable[[StepRun], StepResult]]:
    """Register a step type: `validate(step, path, scope)`, `run(run)`; `branches` are
    its lists of inner steps; `needs_subject(step)` says whether it needs the run's
    customer."""

    def register(func: Callable[[StepRun], StepResult]) -> Callable[[StepRun], StepResult]:
        _steps[name] = StepType(
            name,
            func,
            validate or (lambda step, path, scope: []),
            branches,
            description or (func.__doc__ or "").strip(),
            needs_subject or (lambda step: False),
        )
        return func

    return register


_provided: set[str] = set()


def workflow_setting(
    name: str, *, validate: Callable[[Any, str], Errors], provides_namespace: bool = False
) -> None:
    """A workflow-wide setting steps read (`settings.<name>`), checked on save. With
    `provides_namespace`, runs can also have `<name>.*` in their context (made on
    demand by the steps that use it: `discount.code`)."""
    _settings[name] = validate
    if provides_namespace:
        _provided.add(name)


def scope_for(trigger_type: str, trigger_config: Any, settings: Any = None) -> DefinitionScope:
    """What runs of a workflow with this trigger can have in their context."""
    namespaces = set(BASE_NAMESPACES) | _provided
    if trigger_type == "event" and isinstance(trigger_config, dict):
        namespace = event_namespace(str(trigger_config.get("event", "")))
        if namespace:
            namespaces.add(namespace)
    return DefinitionScope(frozenset(namespaces), settings if isinstance(settings, dict) else {})


def event_namespace(event_name: str) -> str | None:
    """Where an event's properties sit in the context of the runs it starts: the part of
    its name before the first dot (`cart.abandoned` -> `cart`), unless that name is
    taken by the context itself (`customer.updated` keeps only `trigger`)."""
    namespace = event_name.split(".", 1)[0]
    if not namespace or "." not in event_name or namespace in BASE_NAMESPACES | _provided:
        return None
    return namespace


def setting_names() -> list[str]:
    return sorted(_settings)


def validate_setting(name: str, value: Any, path: str) -> Errors:
    if name not in _settings:
        return [(path, f"unknown setting; use one of {', '.join(setting_names()) or 'none'}")]
    return _settings[name](value, path)


def subject_lookup(known: Callable[[set[str]], set[str]]) -> None:
    """How to tell which site user ids are known customers (registered by marketing)."""
    _subjects["known"] = known


def known_subjects(user_ids: set[str]) -> set[str]:
    return _subjects["known"](user_ids) if "known" in _subjects else set(user_ids)


def check(name: str, description: str) -> Callable[[Callable], Callable]:
    """Register a named check for `condition` steps: `func(run) -> bool`."""

    def register(func: Callable[[StepRun], bool]) -> Callable:
        _checks[name] = Check(name, func, description)
        return func

    return register


def rule_language(
    *,
    validate: Callable[[Any, str], Errors],
    evaluate: Callable[[Any, StepRun], bool],
) -> None:
    """How a condition's rule list is checked and evaluated for a run (registered by
    marketing: rules about the run's customer and its trigger)."""
    _rules["validate"], _rules["evaluate"] = validate, evaluate


def get_step(name: str) -> StepType | None:
    return _steps.get(name)


def get_check(name: str) -> Check | None:
    return _checks.get(name)


def step_names() -> list[str]:
    return sorted(_steps)


def check_names() -> list[str]:
    return sorted(_checks)


def validate_rules(rules: Any, path: str) -> Errors:
    if "validate" not in _rules:
        return [(path, "rule conditions are not available (no rule language registered)")]
    return _rules["validate"](rules, path)


def evaluate_rules(rules: Any, run: StepRun) -> bool:
    return _rules["evaluate"](rules, run)


# --- helpers for validating and running steps ---------------------------------------------


def allowed_keys(step: dict[str, Any], path: str, keys: set[str]) -> Errors:
    """An error for each key of `step` beyond `keys` (and `type`, `name`)."""
    unknown = sorted(set(step) - keys - {"type", "name"})
    return [(f"{path}.{key}", "unknown key for this step") for key in unknown]


def duration_errors(value: Any, path: str) -> Errors:
    if not isinstance(value, str):
        return [(path, 'a duration like "30m", "1h", "3d" or "2w" is required')]
    try:
        parse_duration(value)
    except ValueError as exc:
        return [(path, str(exc))]
    return []


def reference_errors(value: Any, path: str, scope: DefinitionScope) -> Errors:
    """An error for each `{{ ref }}` in `value` whose namespace no run of the workflow
    can have (a typo, or `cart.total` in a workflow no cart event starts)."""
    return [
        (path, f'"{{{{ {ref} }}}}": {namespace_problem(ref, scope)}')
        for ref in references(value)
        if namespace_problem(ref, scope)
    ]


def namespace_problem(ref: str, scope: DefinitionScope) -> str:
    """Why the dotted path `ref` can never have a value in this workflow's runs, or ""."""
    namespace = ref.split(".", 1)[0]
    if namespace in scope.namespaces:
        return ""
    return (f'no run of this workflow has "{namespace}"; it has '
            + ", ".join(sorted(scope.namespaces)))  # fmt: skip


def required_duration(step: dict[str, Any], key: str, path: str) -> Errors:
    return duration_errors(step.get(key), f"{path}.{key}")


def delay_of(step: dict[str, Any]) -> timedelta:
    """A step's `delay` ("immediate", the default, or a duration)."""
    delay = step.get("delay", "immediate")
    return timedelta(0) if delay == "immediate" else parse_duration(delay)
