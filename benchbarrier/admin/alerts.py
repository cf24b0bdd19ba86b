"""Monitoring in the admin: the alert rules (editable; the signal chosen from those apps
registered), their history, silences with an end time, and the operations page."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from benchbarrier import clock, operations
from benchbarrier.admin.read_only import ReadOnlyAdmin
from benchbarrier.alert_signals import get_signal, signals
from benchbarrier.dashboard import Figure, Panel, panel, place
from benchbarrier.models import AlertEvent, AlertRule, AlertState, AlertStatus, Silence
from benchbarrier.services.alerts import evaluate_all

TONES = {"firing": "#ba2121", "repeat": "#ba2121", "pending": "#b36b00", "resolved": "#2e8b57"}


class RuleForm(forms.ModelForm):
    signal = forms.ChoiceField(help_text="What the rule watches.")

    class Meta:
        model = AlertRule
        fields = ["key", "name", "description", "signal", "comparison", "threshold",
                  "window", "min_count", "for_duration", "repeat_interval", "severity",
                  "enabled"]  # fmt: skip

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["signal"].choices = [
            (s.name, f"{s.name}: {s.description} ({s.unit})") for s in signals()
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        signal = get_signal(data.get("signal", ""))
        threshold = data.get("threshold")
        if (
            signal is not None
            and signal.unit == "%"
            and threshold is not None
            and not (0 <= threshold <= 100)
        ):
            self.add_error("threshold", "This signal is a percentage: give 0 to 100.")
        for name in ("window", "repeat_interval"):
            if data.get(name) is not None and data[name] <= timedelta(0):
                self.add_error(name, "Give a positive duration, e.g. 00:15:00 for 15 minutes.")
        if data.get("for_duration") is not None and data["for_duration"] < timedelta(0):
            self.add_error("for_duration", "Give 0 or a positive duration.")
        return data


@admin.register(AlertRule)
class AlertRuleAdmin(admin.ModelAdmin):
    form = RuleForm
    change_list_template = "admin/benchbarrier/alertrule/change_list.html"
    list_display = ["name", "condition", "window", "for_duration", "severity", "enabled",
                    "state_now"]  # fmt: skip
    list_filter = ["enabled", "severity", "signal"]
    list_editable = ["enabled"]
    search_fields = ["name", "key", "description"]
    actions = ["evaluate_now"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[AlertRule]:
        return super().get_queryset(request).prefetch_related("states")

    @admin.display(description="fires when")
    def condition(self, rule: AlertRule) -> str:
        signal = get_signal(rule.signal)
        unit = signal.unit if signal else ""
        volume = f" (at least {rule.min_count} events)" if rule.min_count else ""
        return (f"{rule.signal} {rule.get_comparison_display()} "
                f"{rule.threshold.normalize():f} {unit}{volume}")  # fmt: skip

    @admin.display(description="now")
    def state_now(self, rule: AlertRule) -> str:
        states = list(rule.states.all())
        firing = [s for s in states if s.status == AlertStatus.FIRING]
        if firing:
            return format_html('<strong style="color:#ba2121">firing</strong> ({})',
                               ", ".join(s.group or "all" for s in firing))  # fmt: skip
        return "pending" if states else "ok"

    @admin.action(description="Evaluate every rule now")
    def evaluate_now(self, request: HttpRequest, queryset: QuerySet[AlertRule]) -> None:
        outcome = evaluate_all()
        self.message_user(request, f"Evaluated {outcome.evaluated} rules: "
                          f"{len(outcome.fired)} fired, {len(outcome.resolved)} resolved, "
                          f"{outcome.notifications} notifications.", messages.SUCCESS)  # fmt: skip

    def get_urls(self) -> list:
        view = self.admin_site.admin_view(self.operations_view)
        return [path("operations/", view, name="operations"), *super().get_urls()]

    def operations_view(self, request: HttpRequest) -> TemplateResponse:
        """Queue, throughput, workers, runs, delivery, spend; firing alerts first."""
        context = {**self.admin_site.each_context(request), "opts": self.model._meta,
                   "title": "Operations", "panels": operations.panels(request)}  # fmt: skip
        return TemplateResponse(request, "admin/benchbarrier/operations.html", context)


@admin.register(AlertEvent)
class AlertEventAdmin(ReadOnlyAdmin):
    """Every transition of every alert, and whether anyone was told."""

    list_display = ["created_at", "rule", "group", "kind_label", "message", "notified",
                    "silenced_by"]  # fmt: skip
    list_filter = ["kind", "notified", "rule"]
    search_fields = ["message", "group"]
    date_hierarchy = "created_at"
    list_select_related = ["rule", "silenced_by"]

    @admin.display(description="what", ordering="kind")
    def kind_label(self, event: AlertEvent) -> str:
        return format_html('<strong style="color:{}">{}</strong>', TONES.get(event.kind, ""),
                           event.get_kind_display())  # fmt: skip


class SilenceForm(forms.ModelForm):
    class Meta:
        model = Silence
        fields = ["rule", "group", "ends_at", "reason"]

    def clean_ends_at(self) -> Any:
        ends_at = self.cleaned_data["ends_at"]
        if ends_at <= clock.now():
            raise forms.ValidationError("Give a time in the future: when notifications resume.")
        return ends_at


@admin.register(Silence)
class SilenceAdmin(admin.ModelAdmin):
    form = SilenceForm
    list_display = ["__str__", "group", "reason", "active", "created_by"]
    list_filter = ["rule"]

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        initial = super().get_changeform_initial_data(request)
        return {"ends_at": clock.now() + timedelta(hours=1), **initial}

    @admin.display(boolean=True)
    def active(self, silence: Silence) -> bool:
        return silence.ends_at > clock.now()

    def save_model(self, request: HttpRequest, obj: Silence, form: Any, change: bool) -> None:
        obj.created_by = obj.created_by or request.user.get_username()
        super().save_model(request, obj, form, change)


place("Operations", AlertRule, AlertEvent, Silence)


@panel("Operations", order=5)
def operations_summary(request: HttpRequest) -> Panel | None:
    """Alerts firing now, on the dashboard; the operations page behind it."""
    firing = AlertState.objects.filter(status=AlertStatus.FIRING).count()
    page = reverse("admin:operations")
    return Panel("Operations", figures=[
        Figure("alerts firing", str(firing), page, "bad" if firing else "good"),
    ], link=page, note="Queue, throughput, workers, delivery, spend: on the page.")  # fmt: skip
