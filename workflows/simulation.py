"""A dry run: the path a workflow would take for a sample context, with no side
effects (no email queued, no job, no webhook called, no waiting)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from benchbarrier import clock
from workflows import cursor as cursors
from workflows.registry import StepRun, evaluate_rules, get_check, resolve_values

MAX_STEPS = 500


@dataclass(frozen=True)
class SimulatedStep:
    path: str
    type: str
    outcome: str


def simulate(
    steps: list[dict[str, Any]],
    context: dict[str, Any],
    *,
    checks: dict[str, bool] | None = None,
    events: list[str] | None = None,
) -> list[SimulatedStep]:
    """Walk the steps. `checks` forces named checks (else they are evaluated read-only
    on the context); `events` lists the events that arrive during waitForEvent steps
    (others time out)."""
    checks, events = checks or {}, events or []
    definition = {"steps": steps}
    here: list | None = list(cursors.START)
    taken: list[SimulatedStep] = []
    now = clock.now()
    while here is not None and len(taken) < MAX_STEPS:
        step = cursors.step_at(definition, here)
        if step is None:
            break
        kind = step.get("type", "")
        path = cursors.text(here)
        branch = None
        if kind == "wait":
            outcome = f"wait {step['duration']}"
        elif kind == "sendEmail":
            variables = resolve_values(step.get("variables", {}), context)
            outcome = f'send "{step["template"]}" with {sorted(variables)}'
        elif kind == "condition":
            check = step["check"]
            run = StepRun(None, step, path, context, now)
            if isinstance(check, str):
                result = checks[check] if check in checks else bool(get_check(check).func(run))
            else:
                result = evaluate_rules(check, run)
            branch = "ifTrue" if result else "ifFalse"
            outcome = f"{check if isinstance(check, str) else 'rules'} is {str(result).lower()}"
        elif kind == "waitForEvent":
            happened = step["event"] in events
            branch = "onEvent" if happened else "onTimeout"
            outcome = (
                f"{step['event']} arrives"
                if happened
                else f"no {step['event']} within {step['timeout']}"
            )
        elif kind == "exit":
            taken.append(SimulatedStep(path, kind, "exit"))
            break
        else:
            outcome = f"{kind} (not run in a simulation)"
        taken.append(SimulatedStep(path, kind, outcome))
        here = (
            cursors.into(definition, here, branch) if branch else cursors.after(definition, here)
        )
    return taken
