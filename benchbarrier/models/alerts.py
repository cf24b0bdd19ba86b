from __future__ import annotations

from django.db import models

from benchbarrier import clock


class NotificationLevel(models.TextChoices):
    INFO = "info", "Info"
    WARNING = "warning", "Warning"
    CRITICAL = "critical", "Critical"


class Notification(models.Model):
    """Something an operator should know (a budget nearly spent, a spend spike), raised
    once per `key` (e.g. "budget:openai:80:2026-11") and shown in the admin."""

    key = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=50, db_index=True, help_text="e.g. budget.warning")
    level = models.CharField(max_length=10, choices=NotificationLevel.choices)
    message = models.TextField()
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=clock.now, db_index=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "notifications"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.message


class Comparison(models.TextChoices):
    ABOVE = "above", "above"
    AT_LEAST = "at_least", "at least"
    BELOW = "below", "below"

    def holds(self, value: object, threshold: object) -> bool:
        if self == Comparison.ABOVE:
            return value > threshold  # type: ignore[operator]
        if self == Comparison.AT_LEAST:
            return value >= threshold  # type: ignore[operator]
        return value < threshold  # type: ignore[operator]


class AlertRule(models.Model):
    """A condition on a signal (`benchbarrier.alert_signals`), evaluated every minute. It
    must hold for `for_duration` before it fires; firing, it notifies once per group (a
    job type, a workflow...), again every `repeat_interval` while it lasts, and says so as
    soon as it clears."""

    key = models.SlugField(max_length=100, unique=True, help_text="Stable id (shipped rules).")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    signal = models.CharField(max_length=100, help_text="What is measured.")
    comparison = models.CharField(max_length=10, choices=Comparison.choices,
                                  default=Comparison.ABOVE)  # fmt: skip
    threshold = models.DecimalField(max_digits=14, decimal_places=4)
    window = models.DurationField(help_text="How far back the signal looks, e.g. 00:15:00.")
    min_count = models.PositiveIntegerField(
        default=0, help_text="Fewer events than this in the window: no alert (rates)."
    )
    for_duration = models.DurationField(
        "for", help_text="How long the condition must hold before the alert fires."
    )
    repeat_interval = models.DurationField(help_text="Notify again this often while firing.")
    severity = models.CharField(max_length=10, choices=NotificationLevel.choices,
                                default=NotificationLevel.WARNING)  # fmt: skip
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=clock.now, editable=False)

    class Meta:
        db_table = "alert_rules"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class AlertStatus(models.TextChoices):
    PENDING = "pending", "Pending (waiting out its 'for')"
    FIRING = "firing", "Firing"


class AlertState(models.Model):
    """A rule's condition holding now for one group; gone when it clears."""

    rule = models.ForeignKey(AlertRule, on_delete=models.CASCADE, related_name="states")
    group = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=10, choices=AlertStatus.choices)
    value = models.DecimalField(max_digits=18, decimal_places=4)
    detail = models.TextField(blank=True)
    since = models.DateTimeField(help_text="When the condition started to hold.")
    firing_since = models.DateTimeField(null=True, blank=True)
    last_notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "alert_states"
        ordering = ["-since"]
        constraints = [models.UniqueConstraint(fields=["rule", "group"], name="alert_state_once")]

    def __str__(self) -> str:
        return f"{self.rule}{f' ({self.group})' if self.group else ''}: {self.status}"


class AlertEventKind(models.TextChoices):
    PENDING = "pending", "Pending"
    FIRING = "firing", "Fired"
    REPEAT = "repeat", "Reminded"
    RESOLVED = "resolved", "Resolved"


class AlertEvent(models.Model):
    """Every transition of an alert, and whether anyone was told (not while silenced)."""

    rule = models.ForeignKey(AlertRule, on_delete=models.CASCADE, related_name="events")
    group = models.CharField(max_length=200, blank=True)
    kind = models.CharField(max_length=10, choices=AlertEventKind.choices)
    value = models.DecimalField(max_digits=18, decimal_places=4, null=True, blank=True)
    message = models.TextField()
    link = models.CharField(max_length=500, blank=True)
    notified = models.BooleanField(default=False)
    silenced_by = models.ForeignKey("Silence", null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(default=clock.now, db_index=True)

    class Meta:
        db_table = "alert_events"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.message


class Silence(models.Model):
    """No notifications for a rule (or every rule), optionally one group, until `ends_at`;
    transitions are still recorded."""

    rule = models.ForeignKey(AlertRule, null=True, blank=True, on_delete=models.CASCADE,
                             help_text="Empty: every rule.")  # fmt: skip
    group = models.CharField(max_length=200, blank=True, help_text="Empty: every group.")
    ends_at = models.DateTimeField()
    reason = models.CharField(max_length=300)
    created_by = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(default=clock.now, editable=False)

    class Meta:
        db_table = "alert_silences"
        ordering = ["-ends_at"]

    def __str__(self) -> str:
        return f"{self.rule or 'every rule'} until {self.ends_at:%Y-%m-%d %H:%M}"


class MonitorSample(models.Model):
    """A signal's value per group at one evaluation (the operations page's 24 h charts)."""

    signal = models.CharField(max_length=100)
    group = models.CharField(max_length=200, blank=True)
    value = models.DecimalField(max_digits=18, decimal_places=4)
    at = models.DateTimeField(default=clock.now)

    class Meta:
        db_table = "monitor_samples"
        indexes = [models.Index(fields=["signal", "at"], name="monitor_sample_signal_at")]

    def __str__(self) -> str:
        return f"{self.signal}[{self.group}] = {self.value} at {self.at:%H:%M}"


class MonitorRun(models.Model):
    """One row: held while an evaluation runs (none overlap) and when the last ended."""

    last_started_at = models.DateTimeField(null=True, blank=True)
    last_finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "monitor_runs"

    def __str__(self) -> str:
        return f"alert evaluation, last finished {self.last_finished_at}"
