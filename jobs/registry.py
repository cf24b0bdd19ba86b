"""The job handler registry: which function runs each job type.

Each app registers its handlers in its own `jobs.py`, found at start-up like `admin.py`:

    @job_handler("email.send", max_attempts=5, retry_delay=timedelta(minutes=1),
                 schema={"type": "object", "required": ["deliveryId"]})
    def send_email(job: Job) -> dict | None: ...

A handler gets the claimed Job and returns a JSON-able result (or None). Raising
`PermanentJobError` fails the job at once; any other exception retries it.

A handler registered with `batch=True` gets every claimed job of its type at once (a
list) and does their work set-based; it sets `job.result` where it has one and returns
`{job.id: exception}` for the jobs that failed (the others completed). An exception it
raises fails the whole batch. Its time limit is per call.

`validate(payload)` checks what a JSON Schema cannot (a template that exists, an
address that is one) when the job is created: it returns (path inside the payload,
message) pairs, and the first one refuses the job (API: 400 naming `payload.<path>`).

`on_failed(job)` is called when a job of the type fails for good (attempts used up, a
permanent error, or its worker lost on the last attempt), inside the transaction that
marks it failed: what must follow a failure (a workflow run marked failed) commits
with it or not at all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from jsonschema import Draft202012Validator

Handler = Callable[..., Any]


class JobTypeUnknown(LookupError):
    def __init__(self, job_type: str) -> None:
        self.job_type = job_type
        super().__init__(f'unknown job type "{job_type}"')


class RetryLater(Exception):
    """Try again after `seconds` (a provider's Retry-After), not after the usual backoff;
    an attempt like any failure."""

    def __init__(self, message: str, *, seconds: float) -> None:
        super().__init__(message)
        self.seconds = seconds


class PermanentJobError(Exception):
    """A failure that retrying cannot fix (bad data, a refused request)."""


@dataclass(frozen=True)
class JobHandler:
    job_type: str
    func: Handler
    max_attempts: int = 3
    retry_delay: timedelta = timedelta(seconds=30)
    timeout: timedelta = timedelta(seconds=60)
    schema: dict[str, Any] | None = None
    validator: Draft202012Validator | None = field(default=None, compare=False)
    batch: bool = False
    on_failed: Callable[[Any], None] | None = None
    validate: Callable[[dict[str, Any]], list[tuple[str, str]]] | None = None
    # At most this many jobs of the type in one worker's claim (None: no limit): for
    # jobs that each keep a worker busy, such as a campaign's senders, so that they
    # spread over the workers instead of queueing behind each other in one.
    per_claim: int | None = None


_handlers: dict[str, JobHandler] = {}


def job_handler(
    job_type: str,
    *,
    max_attempts: int = 3,
    retry_delay: timedelta = timedelta(seconds=30),
    timeout: timedelta = timedelta(seconds=60),
    schema: dict[str, Any] | None = None,
    batch: bool = False,
    on_failed: Callable[[Any], None] | None = None,
    validate: Callable[[dict[str, Any]], list[tuple[str, str]]] | None = None,
    per_claim: int | None = None,
) -> Callable[[Handler], Handler]:
    """Register `func` as the handler of `job_type` (a type may be registered once)."""

    def register(func: Handler) -> Handler:
        existing = _handlers.get(job_type)
        if existing is not None and existing.func is not func:
            raise ValueError(f'job type "{job_type}" already has a handler: {existing.func}')
        if schema is not None:
            Draft202012Validator.check_schema(schema)
        _handlers[job_type] = JobHandler(
            job_type=job_type,
            func=func,
            max_attempts=max_attempts,
            retry_delay=retry_delay,
            timeout=timeout,
            schema=schema,
            validator=Draft202012Validator(schema) if schema is not None else None,
            batch=batch,
            on_failed=on_failed,
            validate=validate,
            per_claim=per_claim,
        )
        return func

    return register


def get_handler(job_type: str) -> JobHandler:
    try:
        return _handlers[job_type]
    except KeyError:
        raise JobTypeUnknown(job_type) from None


def find_handler(job_type: str) -> JobHandler | None:
    """The handler of `job_type`, or None when there is none."""
    return _handlers.get(job_type)


def registered_types() -> list[str]:
    return sorted(_handlers)
