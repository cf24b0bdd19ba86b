"""Sequences in the admin: the seed's campaign templates with their steps (edited as the
seed writes them), what starts each, its runs and figures; switched on and off."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from benchbarrier.services.audit import Actor
from marketing.admin.campaign_forms import SequenceForm
from marketing.admin.campaigns import CampaignAdmin
from marketing.campaigns import sequences
from marketing.campaigns.models import CampaignKind, Sequence


@admin.register(Sequence)
class SequenceAdmin(admin.ModelAdmin):
    form = SequenceForm
    list_display = ["name", "key", "coloured_status", "starts_when", "step_list", "runs",
                    "open_rate", "click_rate", "revenue"]  # fmt: skip
    readonly_fields = ["key", "coloured_status", "starts_when", "runs", "figures"]
    fieldsets = [
        (None, {"fields": ["name", "key", "coloured_status", "starts_when", "runs"]}),
        ("Steps", {"fields": ["steps"]}),
        ("Figures", {"fields": ["figures"]}),
    ]
    actions = ["switch_on", "switch_off"]
    coloured_status = CampaignAdmin.coloured_status
    open_rate = CampaignAdmin.open_rate
    click_rate = CampaignAdmin.click_rate
    revenue = CampaignAdmin.revenue
    figures = CampaignAdmin.figures

    def get_queryset(self, request: HttpRequest) -> QuerySet[Sequence]:
        return super().get_queryset(request).filter(kind=CampaignKind.SEQUENCE)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # the seed's three ship with the project; each is edited here

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Sequence, form: Any, change: bool) -> None:
        actor = Actor.from_request(request)
        if "name" in form.changed_data:
            obj.save(update_fields=["name"])
        sequences.save_sequence(campaign=obj, steps=form.cleaned_data["steps"], actor=actor,
                                request=request)  # fmt: skip

    @admin.display(description="starts when")
    def starts_when(self, sequence: Sequence) -> str:
        trigger = (sequence.schedule_config or {}).get("trigger", {})
        segment = (trigger.get("filter") or {}).get("segmentName")
        if segment:
            return f"a customer enters the segment {segment}"
        return f"{trigger.get('event', '?')} happens"

    @admin.display(description="steps")
    def step_list(self, sequence: Sequence) -> str:
        steps = (sequence.schedule_config or {}).get("steps", [])
        return " → ".join(f"day {step.get('delay')}: {step.get('template')}" for step in steps)

    @admin.display(description="runs")
    def runs(self, sequence: Sequence) -> str:
        if sequence.workflow_id is None:
            return "—"
        url = reverse("admin:workflows_workflowexecution_changelist")
        return format_html('<a href="{}?workflow__id__exact={}">runs of its workflow</a>',
                           url, sequence.workflow_id)  # fmt: skip

    @admin.action(description="Switch on (start sending to customers who enter)")
    def switch_on(self, request: HttpRequest, queryset: QuerySet[Sequence]) -> None:
        self._switch(request, queryset, on=True)

    @admin.action(description="Switch off (runs under way wait)")
    def switch_off(self, request: HttpRequest, queryset: QuerySet[Sequence]) -> None:
        self._switch(request, queryset, on=False)

    def _switch(self, request: HttpRequest, queryset: QuerySet[Sequence], *, on: bool) -> None:
        for sequence in queryset:
            sequences.switch(campaign=sequence, on=on, actor=Actor.from_request(request),
                             request=request)  # fmt: skip
        state = "on" if on else "off"
        self.message_user(request, f"{queryset.count()} sequence(s) switched {state}.",
                          messages.SUCCESS)  # fmt: skip
