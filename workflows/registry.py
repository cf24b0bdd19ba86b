"""The step-type plugin API: everything an app needs to add steps and checks to the
workflow engine, published from this one module.

    from workflows.registry import StepResult, StepRun, allowed_keys, check, step_type

    @step_type("sendEmail", validate=check_send_email)       # marketing/steps.py
    def send_email(run: StepRun) -> StepResult: ...

    @check("cart.stillAbandoned", "no order.completed for the cart since it was abandoned")
    def cart_still_abandoned(run: StepRun) -> bool: ...

A step's `validate(step, path)` returns (path, message) errors (`allowed_keys`,
`required_duration` help); its `run(run)` returns a StepResult. Values in a step may
refer to the run's context (`resolve_values`, `lookup`). Steps that act on the outside
world use `run.idempotency_key`, so a retried step never acts twice; steps that read
the database for their run load it for the whole batch at once (`run.batch.load`).

Apps register in their `steps.py`, found at start-up (WorkflowsConfig.ready).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from benchbarrier.durations import parse_duration
from workflows.context import lookup, resolve_values

__all__ = [
    "Errors", "StepBatch", "StepResult", "StepRun", "allowed_keys", "check", "delay_of",
    "duration_errors", "lookup", "required_duration", "resolve_values", "rule_language",
    "step_type",
]  # fmt: skip

Errors = list[tuple[str, str]]


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


@dataclass(frozen=True)
class StepType:
    name: str
    run: Callable[[StepRun], StepResult]
    validate: Callable[[dict[str, Any], str], Errors]
    branches: tuple[str, ...] = ()
    description: str = ""


@dataclass(frozen=True)
class Check:
    name: str
    func: Callable[[StepRun], bool]
    description: str


_steps: dict[str, StepType] = {}
_checks: dict[str, Check] = {}
_rules: dict[str, Callable[..., Any]] = {}


def step_type(
    name: str,
    *,
    validate: Callable[[dict[str, Any], str], Errors] | None = None,
    branches: tuple[str, ...] = (),
    description: str = "",
) -> Callable[[Callable[[StepRun], StepResult]], Callable[[StepRun], StepResult]]:
    def register(func: Callable[[StepRun], StepResult]) -> Callable[[StepRun], StepResult]:
        _steps[name] = StepType(
            name,
            func,
            validate or (lambda step, path: []),
            branches,
            description or (func.__doc__ or "").strip(),
        )
        return func

    return register


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


def required_duration(step: dict[str, Any], key: str, path: str) -> Errors:
    return duration_errors(step.get(key), f"{path}.{key}")


def delay_of(step: dict[str, Any]) -> timedelta:
    """A step's `delay` ("immediate", the default, or a duration)."""
    delay = step.get("delay", "immediate")
    return timedelta(0) if delay == "immediate" else parse_duration(delay)
