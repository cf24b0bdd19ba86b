from __future__ import annotations

from zoneinfo import ZoneInfo

from django.db import models

from benchbarrier import clock
from benchbarrier.metrics_registry import Period


class Event(models.Model):
    """What happened on the site (`order.completed`, `product.viewed` ...).

    Rows are written only by `analytics.services.record_events`, never edited. A
    `message_id` seen before makes a resent event a no-op. At 100 million rows range
    scans by time use the BRIN index on `timestamp` (PostgreSQL; see the migration and
    README "Events at scale"); per-user and per-name lookups use the seed's two indexes.
    """

    id = models.BigAutoField(primary_key=True)
    event_name = models.CharField(max_length=100)
    # NULL, not "": the seed's columns, and anonymous events have no user.
    user_id = models.CharField(max_length=255, null=True, blank=True)  # noqa: DJ001
    session_id = models.CharField(max_length=255, null=True, blank=True)  # noqa: DJ001
    message_id = models.CharField(max_length=100, unique=True)
    properties = models.JSONField(default=dict, blank=True)
    timestamp = models.DateTimeField()
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        db_table = "analytics_events"
        indexes = [
            models.Index(fields=["user_id", "timestamp"], name="idx_events_user_timestamp"),
            models.Index(fields=["event_name", "timestamp"], name="idx_events_name_timestamp"),
        ]

    def __str__(self) -> str:
        return f"{self.event_name} ({self.user_id or self.session_id or 'anonymous'})"


class ReportType(models.TextChoices):
    SALES = "sales", "Sales"
    TRAFFIC = "traffic", "Traffic"
    CONVERSION = "conversion", "Conversion"
    ENGAGEMENT = "engagement", "Engagement"


class ReportSchedule(models.TextChoices):
    DAILY = "daily", "Daily (yesterday)"
    WEEKLY = "weekly", "Weekly (last Monday to Sunday)"
    MONTHLY = "monthly", "Monthly (last month)"


class AnalyticsReport(models.Model):
    """The seed's `analytics_reports`: a set of metrics by dimensions, on a schedule, for
    its recipients; plus the time zone and hour it is sent at."""

    name = models.CharField(max_length=255)
    report_type = models.CharField(max_length=20, choices=ReportType.choices)
    schedule = models.CharField(max_length=10, choices=ReportSchedule.choices)
    recipients = models.JSONField(default=list, help_text="Email addresses.")
    config = models.JSONField(
        default=dict, help_text='{"metrics": [...], "dimensions": [...], "filters": [...]}'
    )
    timezone = models.CharField(max_length=64, default="UTC")
    send_hour = models.PositiveSmallIntegerField(default=7, help_text="0-23, local time.")
    last_generated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        db_table = "analytics_reports"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ReportRun(models.Model):
    """One generation of a report for one period: its figures and the email made of them
    (charts and the breakdown as attachments in the storage), kept to be re-read and
    re-sent."""

    report = models.ForeignKey(AnalyticsReport, on_delete=models.CASCADE, related_name="runs")
    period_start = models.DateTimeField()
    period_end = models.DateTimeField()
    status = models.CharField(max_length=10, default="done")  # done, failed
    figures = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    email_subject = models.CharField(max_length=300, blank=True)
    email_html = models.TextField("email (HTML)", blank=True)
    email_text = models.TextField("email (plain text)", blank=True)
    attachments = models.JSONField(
        default=list, blank=True,
        help_text="Charts (inline) and the breakdown (CSV, XLSX): filename, contentType, "
        "path in the storage, contentId.",
    )  # fmt: skip
    sent_at = models.DateTimeField(null=True, blank=True, help_text="Last emailed.")
    deliveries = models.JSONField(
        default=list, blank=True, help_text="The emails of the last sending: to, deliveryId."
    )
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        db_table = "analytics_report_runs"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["report", "period_start", "period_end"], name="report_runs_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.report} {self.period_start:%Y-%m-%d}"

    @property
    def period(self) -> Period:
        """The period, on the report's time zone's clock."""
        zone = ZoneInfo(self.report.timezone)
        return Period(self.period_start.astimezone(zone), self.period_end.astimezone(zone))


class Ga4Daily(models.Model):
    """Google Analytics 4 figures of one day for one source / medium and campaign, as
    `analytics.sync` pulled them (the day's row replaced on every pull: GA4 settles its
    figures for about two days)."""

    property_id = models.CharField(max_length=32)
    date = models.DateField()
    source_medium = models.CharField(max_length=255)
    campaign = models.CharField(max_length=255)
    sessions = models.PositiveIntegerField(default=0)
    users = models.PositiveIntegerField(default=0)
    engaged_sessions = models.PositiveIntegerField(default=0)
    conversions = models.DecimalField(
        max_digits=14, decimal_places=2, default=0, help_text="GA4's key events."
    )
    pulled_at = models.DateTimeField(default=clock.now)

    class Meta:
        db_table = "analytics_ga4_daily"
        verbose_name = "GA4 day"
        verbose_name_plural = "GA4 days"
        ordering = ["-date", "source_medium", "campaign"]
        constraints = [
            models.UniqueConstraint(
                fields=["property_id", "date", "source_medium", "campaign"], name="ga4_daily_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.source_medium} {self.campaign}"


# --- Rollups (analytics.rollups): kept in the transaction that stores the events ---------


class OrderHour(models.Model):
    """Orders of one customer ("" for none) in one hour (UTC) in one currency."""

    hour = models.DateTimeField()
    user_id = models.CharField(max_length=255)
    currency = models.CharField(max_length=8)
    orders = models.IntegerField(default=0)
    bad_totals = models.IntegerField(default=0, help_text="Orders whose total is no number.")
    amount = models.DecimalField(max_digits=20, decimal_places=4, default=0)

    class Meta:
        db_table = "analytics_order_hours"
        constraints = [models.UniqueConstraint(fields=["hour", "user_id", "currency"],
                                               name="order_hours_once")]  # fmt: skip
        # (covering: a segment's rows are read from the index alone)
        indexes = [
            models.Index(fields=["user_id", "hour"], name="order_hours_user",
                         include=["currency", "orders", "bad_totals", "amount"]),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.hour:%Y-%m-%d %H}h {self.user_id} {self.currency}"


class OrderTotal(models.Model):
    """All orders of one hour (UTC) in one currency, with or without a customer."""

    hour = models.DateTimeField()
    currency = models.CharField(max_length=8)
    with_user = models.BooleanField()
    orders = models.IntegerField(default=0)
    bad_totals = models.IntegerField(default=0)
    amount = models.DecimalField(max_digits=20, decimal_places=4, default=0)

    class Meta:
        db_table = "analytics_order_totals"
        constraints = [models.UniqueConstraint(fields=["hour", "currency", "with_user"],
                                               name="order_totals_once")]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.hour:%Y-%m-%d %H}h {self.currency}"


class Buyer(models.Model):
    """A customer's first order with a total, per currency (and in any: "*")."""

    user_id = models.CharField(max_length=255)
    currency = models.CharField(max_length=8)
    first_order_at = models.DateTimeField()

    class Meta:
        db_table = "analytics_buyers"
        constraints = [models.UniqueConstraint(fields=["user_id", "currency"],
                                               name="buyers_once")]  # fmt: skip
        indexes = [models.Index(fields=["currency", "first_order_at"], name="buyers_first")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.currency}"


class Signup(models.Model):
    """A customer's first `user.created`."""

    user_id = models.CharField(max_length=255, primary_key=True)
    signed_up_at = models.DateTimeField(db_index=True)

    class Meta:
        db_table = "analytics_signups"

    def __str__(self) -> str:
        return self.user_id


class Subscription(models.Model):
    """A subscription's latest start (its monthly amount) and the cancellation after it."""

    subscription_id = models.CharField(max_length=255, primary_key=True)
    user_id = models.CharField(max_length=255, blank=True)
    amount = models.DecimalField(max_digits=20, decimal_places=4, null=True)
    months = models.PositiveSmallIntegerField(default=1, help_text="12 for a yearly one.")
    currency = models.CharField(max_length=8)
    started_at = models.DateTimeField(null=True)
    cancelled_at = models.DateTimeField(null=True)

    class Meta:
        db_table = "analytics_subscriptions"

    def __str__(self) -> str:
        return self.subscription_id
