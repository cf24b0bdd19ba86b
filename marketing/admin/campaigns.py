"""Campaigns in the admin: the builder (audience with its live size, content from an email
template with its preview, A/B variants, schedule, throttle), the buttons that send,
schedule, pause, resume, cancel and test, a live progress bar while sending, and a results
page with a chart per variant. Sequences (the seed's campaign templates) have their own
list: steps, switch on and off, runs."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from benchbarrier.admin.read_only import ReadOnlyAdmin
from benchbarrier.charts import bar_chart
from benchbarrier.dashboard import place
from benchbarrier.services.audit import Actor
from marketing.admin.campaign_forms import CampaignForm, TestSendForm, variant_line
from marketing.campaigns import abtest, audience, metrics, services
from marketing.campaigns.models import (
    Campaign,
    CampaignKind,
    CampaignSend,
    CampaignStatus,
    Sequence,
    WinnerMetric,
)
from marketing.email.admin import preview_html
from marketing.models import EmailTemplate, Segment

place("Automation", Campaign, Sequence, CampaignSend)
STATUS_COLOURS = {"sending": "#2a7a2a", "testing": "#2a7a2a", "active": "#2a7a2a",
                  "paused": "#b8860b", "cancelled": "#ba2121", "scheduled": "#417690"}  # fmt: skip
LIVE = (CampaignStatus.SENDING, CampaignStatus.TESTING, CampaignStatus.SCHEDULED)


def progress_bar(campaign: Campaign) -> str:
    """Sent / total as a bar, with the rate and time left while it sends."""
    if campaign.launched_at is None:
        return "—"
    now = services.progress(campaign)
    words = f"{now.done:,} / {now.total:,}"
    if now.held:
        words += f" ({now.held:,} held for the winner)"
    if now.rate and now.done < now.total - now.held:
        words += f" · {now.rate:,.0f}/s · {_duration(now.eta_seconds)} left"
    return format_html(
        '<progress class="bb-progress" max="{}" value="{}" style="width:12em"></progress> '
        '<span class="bb-progress-text">{}</span>',
        max(now.total, 1), now.done, words,
    )  # fmt: skip


def sms_preview(text: str, *, counts: bool = True) -> str:
    """The SMS as a sample customer gets it, with its length as the networks count it."""
    from marketing.sms.encoding import measure
    from marketing.sms.services import SmsTextError, render_text

    try:
        rendered = render_text(text, {"customer": {"first_name": "Ada", "name": "Ada Moreau"}})
    except SmsTextError as exc:
        return format_html('<p style="color:#ba2121">Text: {}</p>', exc)
    length = measure(rendered)
    if not counts:  # a social post: its platform's limits are checked on save
        return format_html(
            '<pre style="white-space:pre-wrap;border:1px solid #ccc;border-radius:8px;'
            'padding:8px;max-width:28em">{}</pre><p>{} characters.</p>',
            rendered, len(rendered),
        )  # fmt: skip
    return format_html(
        '<pre style="white-space:pre-wrap;border:1px solid #ccc;border-radius:8px;'
        'padding:8px;max-width:24em">{}</pre><p>{} characters ({}), {} segment(s); '
        "links are shortened when sent.</p>",
        rendered, length.units, length.encoding, length.segments,
    )  # fmt: skip


def push_preview(title: str, text: str) -> str:
    """The notification as a sample customer's browser shows it."""
    from marketing.sms.services import SmsTextError, render_text

    sample = {"customer": {"first_name": "Ada", "name": "Ada Moreau"}}
    try:
        shown = [render_text(part, sample) if part.strip() else "" for part in (title, text)]
    except SmsTextError as exc:
        return format_html('<p style="color:#ba2121">Title or text: {}</p>', exc)
    return format_html(
        '<div style="border:1px solid #ccc;border-radius:8px;padding:8px;max-width:24em">'
        "<strong>{}</strong><br>{}</div>",
        shown[0] or "(the title goes in Subject)", shown[1],
    )  # fmt: skip


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


class StatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(value, label) for value, label in CampaignStatus.choices if value != "active"]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return queryset.filter(status=self.value()) if self.value() else queryset


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    form = CampaignForm
    change_form_template = "admin/marketing/campaign/change_form.html"
    list_display = ["name", "type", "coloured_status", "segment", "template", "progress",
                    "open_rate", "click_rate", "revenue", "launched_at"]  # fmt: skip
    list_filter = [StatusFilter, "type", "launched_at"]
    search_fields = ["name", "subject", "segment__name", "template__slug"]
    list_select_related = ["segment", "template"]
    date_hierarchy = "created_at"
    actions = ["pause_selected", "resume_selected", "cancel_selected"]
    fieldsets = [
        (None, {"fields": ["name", "type"]}),
        ("Audience: a segment, or for a social post its account", {"fields": ["segment",
                                                                      "social_account"]}),
        ("Content: an email's template and subject, an SMS's text, or a push's title "
         "(subject), text and link", {"fields": ["template", "subject", "text", "link",
                                                 "variables"]}),
        ("A/B test (optional)", {"fields": ["variant_subjects", ("test_share", "test_metric"),
                                            ("wait_hours", "fallback")]}),
        ("Schedule and speed", {"fields": ["local_time", "throttle_per_second"]}),
    ]  # fmt: skip
    started_fieldsets = [
        (None, {"fields": ["name", "type", "coloured_status", "segment", "social_account",
                           "template",
                           "subject", "text", "link", "launched_at", "finished_at"]}),
        ("A/B test", {"fields": ["test_summary"]}),
        ("Figures", {"fields": ["figures"]}),
    ]  # fmt: skip

    def get_queryset(self, request: HttpRequest) -> QuerySet[Campaign]:
        return super().get_queryset(request).filter(kind=CampaignKind.BROADCAST)

    def get_fieldsets(self, request: HttpRequest, obj: Campaign | None = None) -> list:
        if obj is not None and obj.status not in services.EDITABLE:
            return self.started_fieldsets
        return self.fieldsets

    def has_change_permission(self, request: HttpRequest, obj: Campaign | None = None) -> bool:
        # once sent, a campaign is read (its buttons pause, resume and cancel it)
        started = obj is not None and obj.status not in services.EDITABLE
        return not started and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Campaign | None = None) -> bool:
        started = obj is not None and obj.status not in services.EDITABLE
        return not started and super().has_delete_permission(request, obj)

    def get_urls(self) -> list:
        view = self.admin_site.admin_view
        return [
            path("builder-preview/", view(self.builder_preview_view),
                 name="marketing_campaign_builder_preview"),
            path("<int:pk>/progress/", view(self.progress_view),
                 name="marketing_campaign_progress"),
            path("<int:pk>/act/<str:verb>/", view(require_POST(self.act_view)),
                 name="marketing_campaign_act"),
            path("<int:pk>/results/", view(self.results_view),
                 name="marketing_campaign_results"),
            *super().get_urls(),
        ]  # fmt: skip

    def save_model(self, request: HttpRequest, obj: Campaign, form: Any, change: bool) -> None:
        obj.schedule_config = form.cleaned_data["schedule_config"]
        obj.ab_test = form.cleaned_data["ab_test"]
        obj.kind = CampaignKind.BROADCAST
        if obj.created_by_id is None:
            obj.created_by = request.user
        services.save_campaign(campaign=obj, actor=Actor.from_request(request), request=request)

    def response_add(self, request: HttpRequest, obj: Campaign, *args: Any) -> HttpResponse:
        """A new campaign opens where it is tested and sent."""
        if "_addanother" in request.POST or "_popup" in request.POST:
            return super().response_add(request, obj, *args)
        self.message_user(request, f"The campaign “{obj.name}” was added: send yourself a test, "
                          "then send it now or schedule it.", messages.SUCCESS)  # fmt: skip
        return redirect("admin:marketing_campaign_change", obj.pk)

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "",
                    extra_context: dict | None = None) -> HttpResponse:  # fmt: skip
        campaign = self.get_object(request, object_id)
        extra = {**(extra_context or {})}
        if campaign is not None:
            extra |= {
                "campaign": campaign,
                "live": campaign.status in LIVE,
                "verbs": _verbs(campaign),
                "progress_html": progress_bar(campaign),
            }
        return super().change_view(request, object_id, form_url, extra)

    # --- columns ---------------------------------------------------------------------

    @admin.display(description="status", ordering="status")
    def coloured_status(self, campaign: Campaign) -> str:
        colour = STATUS_COLOURS.get(campaign.status, "#333")
        return format_html('<strong style="color:{}">{}</strong>', colour,
                           campaign.get_status_display())  # fmt: skip

    @admin.display(description="progress")
    def progress(self, campaign: Campaign) -> str:
        return progress_bar(campaign)

    @admin.display(description="opened")
    def open_rate(self, campaign: Campaign) -> str:
        return _percent(campaign.metrics.get("openRate"))

    @admin.display(description="clicked")
    def click_rate(self, campaign: Campaign) -> str:
        return _percent(campaign.metrics.get("clickRate"))

    @admin.display(description="revenue")
    def revenue(self, campaign: Campaign) -> str:
        value = campaign.metrics.get("revenue")
        return "—" if value is None else f"{value:,.2f}"

    @admin.display(description="A/B test")
    def test_summary(self, campaign: Campaign) -> str:
        test = campaign.ab_test or {}
        if not test.get("variants"):
            return "No test: one version to everyone."
        names = "; ".join(
            f"{chr(ord('A') + i)}: {variant_line(variant)}"
            for i, variant in enumerate(test["variants"])
        )
        decided = campaign.decision.get("reason") or "not decided yet"
        return f"{names}. Winner by {test.get('metric', 'click_rate')}: {decided}."

    @admin.display(description="figures")
    def figures(self, campaign: Campaign) -> str:
        shown = {**campaign.metrics, **metrics.compute(campaign)}
        url = reverse("admin:marketing_campaign_results", args=[campaign.pk])
        return format_html(
            "{} recipients · {} opened · {} clicked · {} converted · revenue {} · "
            'cost {} <a class="button" href="{}">Results and charts</a>',
            shown.get("recipients", 0), _percent(shown.get("openRate")),
            _percent(shown.get("clickRate")), shown.get("conversions", 0),
            shown.get("revenue", 0), shown.get("cost", 0), url,
        )  # fmt: skip

    # --- pages ---------------------------------------------------------------------------

    def builder_preview_view(self, request: HttpRequest) -> JsonResponse:
        """The builder's live panel: audience size and the email as it will look
        (GET ?segment=&template=&subject=&variables=)."""
        body: dict[str, Any] = {}
        template = EmailTemplate.objects.filter(pk=_int(request.GET.get("template"))).first()
        segment = Segment.objects.filter(pk=_int(request.GET.get("segment"))).first()
        channel = request.GET.get("type", "email")
        if segment is not None:
            probe = Campaign(type=channel, segment=segment, template=template)
            body["audience"] = str(audience.size_of(probe))
        if channel == "sms":
            body["preview"] = sms_preview(request.GET.get("text", ""))
            return JsonResponse(body)
        if channel == "social":
            body["preview"] = sms_preview(request.GET.get("text", ""), counts=False)
            return JsonResponse(body)
        if channel == "push":
            body["preview"] = push_preview(request.GET.get("subject", ""),
                                           request.GET.get("text", ""))  # fmt: skip
            return JsonResponse(body)
        if template is not None:
            try:
                variables = json.loads(request.GET.get("variables") or "{}") or {}
            except ValueError:
                variables = None
            if not isinstance(variables, dict):
                body["preview"] = '<p style="color:#ba2121">Variables: not a JSON object.</p>'
            else:
                body["preview"] = preview_html(
                    template,
                    {**template.sample_data, **variables},
                    subject=request.GET.get("subject", ""),
                )
        return JsonResponse(body)

    def progress_view(self, request: HttpRequest, pk: int) -> JsonResponse:
        campaign = get_object_or_404(Campaign, pk=pk)
        now = services.progress(campaign)
        return JsonResponse({
            "status": campaign.status, "statusText": campaign.get_status_display(),
            "total": now.total, "done": now.done, "held": now.held,
            "html": str(progress_bar(campaign)), "live": campaign.status in LIVE,
        })  # fmt: skip

    def act_view(self, request: HttpRequest, pk: int, verb: str) -> HttpResponse:
        """The buttons: send now, schedule, pause, resume, cancel, test."""
        campaign = get_object_or_404(Campaign, pk=pk)
        back = redirect("admin:marketing_campaign_change", pk)
        if not super().has_change_permission(request):
            raise PermissionDenied
        actor = Actor.from_request(request)
        try:
            if verb == "test":
                self._send_test(request, campaign, actor)
                return back
            if verb == "send":
                services.launch(campaign=campaign, actor=actor, request=request)
                done = "Sending: the audience is frozen now and the emails go out in chunks."
            elif verb == "schedule":
                when = _when(request.POST.get("send_at", ""))
                services.launch(campaign=campaign, actor=actor, send_at=when, request=request)
                done = f"Scheduled for {timezone.localtime(when):%Y-%m-%d %H:%M %Z}."
            elif verb in ("pause", "resume", "cancel"):
                getattr(services, verb)(campaign=campaign, actor=actor, request=request)
                done = {"pause": "Paused: nothing more goes out until you resume.",
                        "resume": "Resumed from where it stopped.",
                        "cancel": "Cancelled: what was not sent stays unsent."}[verb]  # fmt: skip
            else:
                return HttpResponse(status=404)
        except services.CampaignError as exc:
            for _, message in exc.errors:
                self.message_user(request, f"Not done: {message}.", messages.ERROR)
            return back
        except services.CampaignStateError as exc:
            self.message_user(request, f"Not done: {exc}.", messages.ERROR)
            return back
        self.message_user(request, done, messages.SUCCESS)
        return back

    def _send_test(self, request: HttpRequest, campaign: Campaign, actor: Actor) -> None:
        form = TestSendForm(request.POST)
        if not form.is_valid():
            self.message_user(request, " ".join(form.errors["emails"]), messages.ERROR)
            return
        sent = services.send_test(
            campaign=campaign, emails=form.cleaned_data["emails"], actor=actor
        )
        self.message_user(
            request,
            f"{len(sent)} test email(s) queued: find them in Email deliveries, marked as tests.",
            messages.SUCCESS,
        )

    def results_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        campaign = get_object_or_404(Campaign, pk=pk)
        figures = metrics.refresh(campaign)
        variants = abtest.live_variants(campaign) if campaign.ab_test.get("variants") else []
        charts = []
        if variants:
            metric = campaign.ab_test.get("metric", WinnerMetric.CLICK_RATE)
            charts = [
                (title, bar_chart([(v["name"], pick(v)) for v in variants], title=title,
                                  unit=unit, width=260, height=120, labelled=True))
                for title, unit, pick in [
                    ("Recipients", "", lambda v: v["recipients"]),
                    (f"{WinnerMetric(metric).label} (the test's metric)",
                     "" if metric == WinnerMetric.REVENUE else " %",
                     lambda v: v["rate"] * (1 if metric == WinnerMetric.REVENUE else 100)),
                    ("Chance of being best", " %", lambda v: v["winProbability"] * 100),
                    ("Clicks", "", lambda v: v["clicks"]),
                    ("Conversions", "", lambda v: v["conversions"]),
                ]
            ]  # fmt: skip
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "campaign": campaign,
            "title": f"Results: {campaign.name}",
            "figures": figures,
            "rows": _figure_rows(figures),
            "variants": variants,
            "charts": charts,
            "decision": campaign.decision,
            "sends_url": reverse("admin:marketing_campaignsend_changelist")
            + f"?campaign__id__exact={campaign.pk}",
        }
        return TemplateResponse(request, "admin/marketing/campaign/results.html", context)

    # --- list actions ----------------------------------------------------------------

    @admin.action(description="Pause the selected campaigns")
    def pause_selected(self, request: HttpRequest, queryset: QuerySet[Campaign]) -> None:
        self._each(request, queryset, services.pause, "paused")

    @admin.action(description="Resume the selected campaigns")
    def resume_selected(self, request: HttpRequest, queryset: QuerySet[Campaign]) -> None:
        self._each(request, queryset, services.resume, "resumed")

    @admin.action(description="Cancel the selected campaigns (unsent stays unsent)")
    def cancel_selected(self, request: HttpRequest, queryset: QuerySet[Campaign]) -> None:
        self._each(request, queryset, services.cancel, "cancelled")

    def _each(self, request: HttpRequest, queryset: QuerySet, change: Any, done: str) -> None:
        moved = 0
        for campaign in queryset:
            try:
                change(campaign=campaign, actor=Actor.from_request(request), request=request)
                moved += 1
            except services.CampaignStateError as exc:
                self.message_user(request, f"{campaign.name}: {exc}.", messages.WARNING)
        if moved:
            self.message_user(request, f"{moved} campaign(s) {done}.", messages.SUCCESS)


def _verbs(campaign: Campaign) -> list[str]:
    """The buttons that fit the campaign's status."""
    return {
        CampaignStatus.DRAFT: ["send", "schedule", "test"],
        CampaignStatus.SCHEDULED: ["pause", "cancel", "test"],
        CampaignStatus.SENDING: ["pause", "cancel"],
        CampaignStatus.TESTING: ["pause", "cancel"],
        CampaignStatus.PAUSED: ["resume", "cancel"],
    }.get(campaign.status, [])


def _when(text: str) -> datetime:
    """A send time from the form's datetime-local field, in the site's time zone."""
    try:
        naive = datetime.fromisoformat(text)
    except ValueError:
        raise services.CampaignError([("sendAt", "pick a date and time to send at")]) from None
    if naive.tzinfo is None:
        return timezone.make_aware(naive)
    return naive


def _int(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() else None


def _figure_rows(figures: dict[str, Any]) -> list[tuple[str, str]]:
    rows = [
        ("Recipients", f"{figures['recipients']:,}"),
        ("Delivered", f"{figures['delivered']:,} ({_percent(figures['deliveryRate'])})"),
        ("Opened", f"{figures['opens']:,} ({_percent(figures['openRate'])}), of which "
                   f"{figures['proxyOpens']:,} by privacy proxies"),
        ("Clicked", f"{figures['clicks']:,} ({_percent(figures['clickRate'])}); "
                    f"{_percent(figures['clickToOpen'])} of opens"),
        ("Converted", f"{figures['conversions']:,} ({_percent(figures['conversionRate'])})"),
        ("Revenue attributed", f"{figures['revenue']:,.2f}"),
        ("Revenue per recipient", "—" if figures["revenuePerRecipient"] is None
                                  else f"{figures['revenuePerRecipient']:,.4f}"),
        ("Unsubscribed", f"{figures['unsubscribes']:,}"),
        ("Bounced", f"{figures['bounces']:,}"),
        ("Complaints", f"{figures['complaints']:,}"),
        ("Cost (email spend)", f"{figures['cost']:,.4f}"),
    ]  # fmt: skip
    return rows


@admin.register(CampaignSend)
class CampaignSendAdmin(ReadOnlyAdmin):
    list_display = ["campaign", "customer", "step", "variant", "status", "sent_at",
                    "opened_at", "clicked_at", "converted_at", "revenue"]  # fmt: skip
    list_filter = ["status", "variant", "campaign"]
    search_fields = ["=customer__external_id", "customer__email"]
    list_select_related = ["campaign", "customer"]
    show_full_result_count = False
    readonly_fields = [field.name for field in CampaignSend._meta.fields]
