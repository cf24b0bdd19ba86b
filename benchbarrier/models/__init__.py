from benchbarrier.models.alerts import Notification, NotificationLevel
from benchbarrier.models.api_keys import APIKey, Scope
from benchbarrier.models.audit import ActorType, AuditLogEntry
from benchbarrier.models.bus import BusDelivery
from benchbarrier.models.ratelimit import RateBucket
from benchbarrier.models.spend import (
    Budget,
    BudgetMode,
    ModelPrice,
    MonthlySpend,
    SpendEntry,
    SpendService,
)
from benchbarrier.models.workers import WorkerHeartbeat

__all__ = [
    "APIKey",
    "ActorType",
    "AuditLogEntry",
    "Budget",
    "BudgetMode",
    "BusDelivery",
    "ModelPrice",
    "MonthlySpend",
    "Notification",
    "NotificationLevel",
    "RateBucket",
    "Scope",
    "SpendEntry",
    "SpendService",
    "WorkerHeartbeat",
]
