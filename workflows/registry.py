"""What workflows can do, filled by the apps that own the data (like job handlers):

    @step_type("sendEmail", validate=check_send_email)       # marketing/steps.py
    def send_email(run: StepRun) -> StepResult: ...

    @check("cart.stillAbandoned", "no order.completed for the cart since it was abandoned")
    def cart_still_abandoned(context: dict) -> bool: ...

Apps register in their `steps.py`, found at start-up (WorkflowsConfig.ready).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

Errors = list[tuple[str, str]]


@dataclass
class StepRun:
    """One step being run: the step's JSON, its path, the execution's context."""

    execution: Any
    step: dict[str, Any]
    path: str
    context: dict[str, Any]
    now: datetime

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
    func: Callable[[dict[str, Any]], bool]
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
    def register(func: Callable[[dict[str, Any]], bool]) -> Callable:
        _checks[name] = Check(name, func, description)
        return func

    return register


def rule_language(
    *,
    validate: Callable[[Any, str], Errors],
    evaluate: Callable[[Any, dict[str, Any], datetime], bool],
) -> None:
    """How a condition's rule list is checked and evaluated on an execution's context
    (registered by marketing: rules about the execution's customer)."""
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


def evaluate_rules(rules: Any, context: dict[str, Any], now: datetime) -> bool:
    return _rules["evaluate"](rules, context, now)
