"""A step with no side effect, for bench.workflows (loaded by its worker processes
through JOBS_HANDLER_MODULES)."""

from __future__ import annotations

from workflows.registry import StepResult, StepRun, step_type


@step_type("bench.pass")
def bench_pass(run: StepRun) -> StepResult:
    """Does nothing: measures the engine itself."""
    return StepResult()
