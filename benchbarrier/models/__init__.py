from benchbarrier.models.alerts import (
    AlertEvent,
    AlertEventKind,
    AlertRule,
    AlertState,
    AlertStatus,
    Comparison,
    MonitorRun,
    MonitorSample,
    Notification,
    NotificationLevel,
    Silence,
)
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
    "AlertEvent",
    "AlertEventKind",
    "AlertRule",
    "AlertState",
    "AlertStatus",
    "AuditLogEntry",
    "Budget",
    "BudgetMode",
    "BusDelivery",
    "Comparison",
    "ModelPrice",
    "MonitorRun",
    "MonitorSample",
    "MonthlySpend",
    "Notification",
    "NotificationLevel",
    "RateBucket",
    "Scope",
    "Silence",
    "SpendEntry",
    "SpendService",
    "WorkerHeartbeat",
]
