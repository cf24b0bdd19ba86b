from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from analytics.models import Event
from benchbarrier.rules import describe_rules
from benchbarrier.services.audit import Actor
from marketing.admin import privacy
from marketing.models import Customer, Segment, SegmentKind, SegmentMember
from marketing.services import segments as segment_services
from marketing.services.customers import update_customer


class HasOrderedFilter(admin.SimpleListFilter):
    title = "has ordered"
    parameter_name = "has_ordered"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Yes"), ("no", "No")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Customer]) -> QuerySet[Customer]:
        if self.value() == "yes":
            return queryset.filter(order_count__gt=0)
        if self.value() == "no":
            return queryset.filter(order_count=0)
        return queryset


class SegmentFilter(admin.SimpleListFilter):
    title = "segment"
    parameter_name = "segment"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(str(pk), name) for pk, name in Segment.objects.values_list("pk", "name")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Customer]) -> QuerySet[Customer]:
        if self.value():
            return queryset.filter(segment_memberships__segment_id=self.value())
        return queryset


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["__str__", "email", "external_id", "total_spent", "order_count",
                    "last_seen", "email_opt_in", "sms_opt_in"]  # fmt: skip
    list_filter = ["email_opt_in", "sms_opt_in", HasOrderedFilter, SegmentFilter, "last_seen",
                   ("erased_at", admin.EmptyFieldListFilter)]  # fmt: skip
    actions = [privacy.export_personal_data, privacy.erase_personal_data]
    search_fields = ["email", "name", "=external_id", "phone"]
    ordering = ["-last_seen"]
    show_full_result_count = False
    fieldsets = [
        (None, {"fields": ["external_id", "email", "name", "phone", "timezone", "locale"]}),
        ("Consent", {"fields": [("email_opt_in", "email_opt_in_at", "email_opt_in_source"),
                                ("sms_opt_in", "sms_opt_in_at", "sms_opt_in_source")]}),
        ("Traits", {"fields": ["traits"]}),
        ("Stats (kept up to date from events)", {"fields": [
            ("total_spent", "order_count", "last_order_at"),
            ("product_views", "last_login"),
            ("emails_sent", "emails_opened", "emails_clicked", "email_engagement"),
            ("first_seen", "last_seen"),
        ]}),
        ("Segments and recent events", {"fields": ["segment_list", "recent_events"]}),
    ]  # fmt: skip
    readonly_fields = [
        "email_opt_in_at", "total_spent", "order_count", "last_order_at", "product_views",
        "last_login", "emails_sent", "emails_opened", "emails_clicked", "email_engagement",
        "first_seen", "last_seen", "segment_list", "recent_events", "sms_opt_in_at",
    ]  # fmt: skip

    def save_model(self, request: HttpRequest, obj: Customer, form: Any, change: bool) -> None:
        # The form has already copied its values onto `obj`; the service compares with
        # the stored row to see what changed (a consent change is stamped).
        stored = Customer.objects.get(pk=obj.pk) if obj.pk else Customer()
        saved = update_customer(
            customer=stored,
            changes={name: form.cleaned_data[name] for name in form.changed_data},
            actor=Actor.from_request(request),
            request=request,
        )
        obj.pk = saved.pk

    @admin.display(description="segments")
    def segment_list(self, customer: Customer) -> str:
        segments = Segment.objects.filter(memberships__customer=customer).order_by("name")
        if not segments:
            return "—"
        return format_html_join(
            ", ",
            '<a href="{}">{}</a>',
            ((reverse("admin:marketing_segment_change", args=[s.pk]), s.name) for s in segments),
        )

    @admin.display(description="recent events")
    def recent_events(self, customer: Customer) -> str:
        if not customer.external_id:
            return "—"
        events = Event.objects.filter(user_id=customer.external_id).order_by("-timestamp")[:20]
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td><code>{}</code></td></tr>",
            (
                (e.timestamp.strftime("%Y-%m-%d %H:%M"), e.event_name,
                 json.dumps(e.properties, sort_keys=True)[:120])
                for e in events
            ),
        )  # fmt: skip
        link = reverse("admin:analytics_event_changelist") + f"?q={customer.external_id}"
        return format_html(
            "<table><thead><tr><th>when</th><th>event</th><th>properties</th></tr></thead>"
            '<tbody>{}</tbody></table><p><a href="{}">All events of this customer</a></p>',
            rows,
            link,
        )


class PrettyJSONField(forms.JSONField):
    """Rules shown indented, one rule per line or so, instead of one long line."""

    def prepare_value(self, value: Any) -> str:
        if isinstance(value, forms.fields.InvalidJSONInput):
            return value
        return json.dumps(value, indent=2, ensure_ascii=False)


class SegmentForm(forms.ModelForm):
    rules = PrettyJSONField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 16, "cols": 90, "style": "font-family:monospace"}),
        help_text=(
            'A list of rules: {"field": "total_spent", "operator": "greater_than", "value": '
            '1000}; add "combinator": "or" to join a rule with "or" instead of "and". Fields: '
            'every customer column and traits.&lt;key&gt;; times like "30_days_ago"; event '
            'rules like {"event": "product.viewed", "atLeast": 3, "within": "7d"}. See the README.'
        ),
    )

    class Meta:
        model = Segment
        fields = ["name", "description", "kind", "rules"]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        kind, rules = data.get("kind"), data.get("rules") or []
        data["rules"] = rules
        try:
            segment_services.validate_rules(kind, rules)
        except segment_services.SegmentError as exc:
            for field_path, message in exc.errors:
                self.add_error("rules", f"{field_path}: {message}")
        return data


class MembersInline(admin.TabularInline):
    model = SegmentMember
    fields = ["customer_link", "customer_email", "joined_at"]
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False
    verbose_name_plural = "members (newest 50; all under Customers, filtered by this segment)"

    def get_queryset(self, request: HttpRequest) -> QuerySet[SegmentMember]:
        return super().get_queryset(request).select_related("customer").order_by("-joined_at")

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        formset = super().get_formset(request, obj, **kwargs)
        original = formset.get_queryset

        def newest(self_: Any) -> Any:
            members = original(self_)
            ids = list(members.values_list("pk", flat=True)[:50])
            return members.filter(pk__in=ids)

        formset.get_queryset = newest
        return formset

    @admin.display(description="customer")
    def customer_link(self, member: SegmentMember) -> str:
        url = reverse("admin:marketing_customer_change", args=[member.customer_id])
        return format_html('<a href="{}">{}</a>', url, member.customer)

    @admin.display(description="email")
    def customer_email(self, member: SegmentMember) -> str:
        return member.customer.email or "—"


class CsvImportForm(forms.Form):
    file = forms.FileField(help_text='A CSV with an "email" and/or "external_id" column.')


@admin.register(Segment)
class SegmentAdmin(admin.ModelAdmin):
    form = SegmentForm
    change_form_template = "admin/marketing/segment/change_form.html"
    list_display = ["name", "kind", "rules_in_words", "member_count", "last_refreshed_at",
                    "members_link"]  # fmt: skip
    list_filter = ["kind"]
    search_fields = ["name", "description"]
    readonly_fields = ["rules_in_words", "member_count", "last_refreshed_at", "last_refresh_ms"]
    fieldsets = [
        (None, {"fields": ["name", "description", "kind"]}),
        ("Rules", {"fields": ["rules", "rules_in_words"]}),
        ("Membership", {"fields": ["member_count", "last_refreshed_at", "last_refresh_ms"]}),
    ]
    inlines = [MembersInline]
    actions = ["refresh_now"]

    def get_urls(self) -> list:
        view = self.admin_site.admin_view
        return [
            path("preview/", view(self.preview_view), name="marketing_segment_preview"),
            path("<int:pk>/import/", view(self.import_view), name="marketing_segment_import"),
            *super().get_urls(),
        ]

    def save_model(self, request: HttpRequest, obj: Segment, form: Any, change: bool) -> None:
        saved = segment_services.save_segment(
            segment=obj,
            actor=Actor.from_request(request),
            request=request,
            **{name: form.cleaned_data[name] for name in SegmentForm.Meta.fields},
        )
        obj.pk = saved.pk

    def delete_model(self, request: HttpRequest, obj: Segment) -> None:
        segment_services.delete_segment(
            segment=obj, actor=Actor.from_request(request), request=request
        )

    @admin.display(description="in words")
    def rules_in_words(self, segment: Segment) -> str:
        if segment.kind == SegmentKind.STATIC:
            return "(static: members added by hand or CSV)"
        return describe_rules(segment.rules)

    @admin.display(description="members")
    def members_link(self, segment: Segment) -> str:
        url = reverse("admin:marketing_customer_changelist") + f"?segment={segment.pk}"
        return format_html('<a href="{}">view {}</a>', url, segment.member_count)

    @admin.action(description="Refresh membership now (dynamic segments)")
    def refresh_now(self, request: HttpRequest, queryset: QuerySet[Segment]) -> None:
        for segment in queryset.filter(kind=SegmentKind.DYNAMIC):
            result = segment_services.refresh_segment(segment=segment)
            self.message_user(
                request,
                f"{segment.name}: {result.joined} joined, {result.left} left, "
                f"{result.member_count} members ({result.duration_ms} ms).",
                messages.SUCCESS,
            )
        skipped = queryset.filter(kind=SegmentKind.STATIC).count()
        if skipped:
            self.message_user(request, f"{skipped} static segment(s) skipped.", messages.WARNING)

    def preview_view(self, request: HttpRequest) -> JsonResponse:
        """Live count for the rules being typed in the form (POST {"rules": ...})."""
        try:
            rules = json.loads(request.body or b"{}").get("rules")
        except (ValueError, AttributeError):
            return JsonResponse({"errors": ["rules: not valid JSON"]}, status=400)
        try:
            preview = segment_services.preview_segment(rules, sample=5)
        except segment_services.SegmentError as exc:
            return JsonResponse({"errors": [f"{p}: {m}" for p, m in exc.errors]}, status=400)
        return JsonResponse(
            {
                "count": preview.count,
                "rulesText": describe_rules(rules),
                "sample": [str(customer) for customer in preview.sample],
            }
        )

    def import_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        segment = get_object_or_404(Segment, pk=pk)
        form = CsvImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                result = segment_services.import_members_csv(
                    segment=segment,
                    data=form.cleaned_data["file"].read(),
                    actor=Actor.from_request(request),
                    request=request,
                )
            except segment_services.SegmentError as exc:
                form.add_error("file", str(exc))
            else:
                self.message_user(request, f"{result.added} added ({result.matched} matched).")
                if result.unknown:
                    shown = ", ".join(result.unknown[:20])
                    self.message_user(
                        request,
                        f"{len(result.unknown)} row(s) name no customer: {shown}",
                        messages.WARNING,
                    )
                return redirect("admin:marketing_segment_change", segment.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "segment": segment,
            "form": form,
            "title": f"Import members into {segment.name}",
        }
        return TemplateResponse(request, "admin/marketing/segment/import.html", context)
