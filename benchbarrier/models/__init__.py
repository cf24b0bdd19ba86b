from benchbarrier.models.api_keys import APIKey, Scope
from benchbarrier.models.audit import ActorType, AuditLogEntry
from benchbarrier.models.spend import SpendEntry
from benchbarrier.models.workers import WorkerHeartbeat

__all__ = ["APIKey", "ActorType", "AuditLogEntry", "Scope", "SpendEntry", "WorkerHeartbeat"]
