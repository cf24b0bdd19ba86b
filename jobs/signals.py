"""Signals other apps listen to (alerting, workflows). Sent after the change commits."""

from __future__ import annotations

from django.dispatch import Signal

# A job used up its attempts (or failed permanently). Sent with `job`.
job_failed = Signal()
