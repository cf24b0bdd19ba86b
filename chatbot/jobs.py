"""Job handlers of the chatbot."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from jobs.models import Job
from jobs.registry import PermanentJobError, job_handler


@job_handler("chatbot.train", max_attempts=3, timeout=timedelta(minutes=10),
             schema={"type": "object", "additionalProperties": False})  # fmt: skip
def train_intents(job: Job) -> dict[str, Any]:
    """A classifier from the intents as they are now, stored as a new version (the same
    phrases as the newest version: nothing new)."""
    from chatbot import classifier

    try:
        model = classifier.train()
    except ValueError as exc:
        raise PermanentJobError(str(exc)) from None
    return {"version": model.version, "intents": len(model.intents), "phrases": model.phrases}
