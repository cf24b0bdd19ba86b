from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils.html import format_html

from benchbarrier.admin.read_only import ReadOnlyAdmin
from benchbarrier.services.audit import Actor
from marketing.email import services as email_services
from marketing.email.rendering import (
    MissingVariable,
    TemplateProblem,
    check_template,
    render_email,
)
from marketing.email.sending import render_delivery
from marketing.models import EmailDelivery, EmailTemplate, Suppression
from marketing.selectors import delivery_rate

STATUS_COLOURS = {
    "queued": "#666", "deferred": "#b36b00", "sending": "#0b62a4", "sent": "#0b62a4",
    "delivered": "#2a7a2a", "bounced": "#ba2121", "complained": "#ba2121", "skipped": "#999",
    "failed": "#ba2121",
}  # fmt: skip
MONOSPACE = "font-family:monospace"


class EmailTemplateForm(forms.ModelForm):
    class Meta:
        model = EmailTemplate
        fields = ["slug", "name", "kind", "category", "subject", "html_body", "text_body",
                  "variables", "sample_data"]  # fmt: skip
        widgets = {
            "subject": forms.TextInput(attrs={"size": 90}),
            "html_body": forms.Textarea(attrs={"rows": 18, "cols": 100, "style": MONOSPACE}),
            "text_body": forms.Textarea(attrs={"rows": 12, "cols": 100, "style": MONOSPACE}),
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        variables = data.get("variables")
        if variables is not None and (
            not isinstance(variables, list) or not all(isinstance(v, str) for v in variables)
        ):
            self.add_error(
                "variables", 'A list of dotted names, e.g. ["cart.items", "cart.total"].'
            )
        candidate = EmailTemplate(**{k: v for k, v in data.items() if k in self.Meta.fields})
        try:
            check_template(candidate)
        except TemplateProblem as exc:
            self.add_error(exc.field, f"This does not compile: {exc}")
        return data


def preview_html(template: EmailTemplate, variables: dict[str, Any], subject: str = "") -> str:
    """The email's subject, HTML (in a sandboxed frame) and text, side by side."""
    try:
        rendered = render_email(
            template, variables, customer=None, to_email="you@example.com",
            unsubscribe_url=f"{settings.SITE_URL}/email/unsubscribe/preview", subject=subject,
        )  # fmt: skip
    except (MissingVariable, ValueError) as exc:
        return format_html('<p style="color:#ba2121">Cannot render: {}</p>', exc)
    return render_to_string(
        "admin/marketing/emailtemplate/preview.html",
        {"subject": rendered.subject, "html": rendered.html, "text": rendered.text},
    )


@admin.register(EmailTemplate)
class EmailTemplateAdmin(admin.ModelAdmin):
    form = EmailTemplateForm
    list_display = ["name", "slug", "kind", "category", "variable_list", "updated_at"]
    list_filter = ["kind", "category"]
    search_fields = ["slug", "name", "subject"]
    readonly_fields = ["preview", "test_send"]
    fieldsets = [
        (None, {"fields": ["slug", "name", "kind", "category"]}),
        ("Content", {"fields": ["subject", "html_body", "text_body"]}),
        ("Variables", {"fields": ["variables", "sample_data"]}),
        ("Preview with the sample data (save to refresh)", {"fields": ["preview", "test_send"]}),
    ]

    def get_urls(self) -> list:
        view = self.admin_site.admin_view(self.send_test_view)
        return [path("<int:pk>/send-test/", view, name="marketing_emailtemplate_send_test"),
                *super().get_urls()]  # fmt: skip

    def save_model(
        self, request: HttpRequest, obj: EmailTemplate, form: Any, change: bool
    ) -> None:
        from benchbarrier import clock
        from benchbarrier.services.audit import record_audit

        obj.updated_at = clock.now()
        super().save_model(request, obj, form, change)
        record_audit(action="email_template.saved", target=obj,
                     changes={"fields": form.changed_data}, request=request)  # fmt: skip

    @admin.display(description="variables")
    def variable_list(self, template: EmailTemplate) -> str:
        return ", ".join(template.variables) or "—"

    @admin.display(description="preview")
    def preview(self, template: EmailTemplate) -> str:
        if template.pk is None:
            return "Save to see a preview."
        return preview_html(template, template.sample_data)

    @admin.display(description="test")
    def test_send(self, template: EmailTemplate) -> str:
        if template.pk is None:
            return "—"
        url = reverse("admin:marketing_emailtemplate_send_test", args=[template.pk])
        return format_html(
            '<a class="button" href="{}">Send a test to me</a> '
            "(with the sample data, to your staff email address, marked as a test)",
            url,
        )

    def send_test_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """Queue the template, with its sample data, to the staff member's own address:
        a delivery marked as a test (it shows in Email deliveries), sent by a worker."""
        template = get_object_or_404(EmailTemplate, pk=pk)
        back = redirect("admin:marketing_emailtemplate_change", pk)
        if not request.user.email:
            self.message_user(request, "Your staff user has no email address: add one first.",
                              messages.ERROR)  # fmt: skip
            return back
        try:
            render_email(template, template.sample_data, customer=None,
                         to_email=request.user.email)  # fmt: skip
        except (MissingVariable, ValueError) as exc:
            self.message_user(
                request, f"Not sent: {exc}. Fill in the sample data.", messages.ERROR
            )
            return back
        delivery = email_services.queue_email(
            template=template.slug, variables=template.sample_data, to=request.user.email,
            source=f"test by {request.user}", test=True,
        )  # fmt: skip
        url = reverse("admin:marketing_emaildelivery_change", args=[delivery.pk])
        self.message_user(
            request,
            format_html('Test queued for {}: <a href="{}">follow it in Email deliveries</a>.',
                        request.user.email, url),
            messages.SUCCESS,
        )  # fmt: skip
        return back


@admin.register(EmailDelivery)
class EmailDeliveryAdmin(ReadOnlyAdmin):
    change_list_template = "admin/marketing/emaildelivery/change_list.html"
    list_display = ["created_at", "to_email", "template", "kind", "is_test", "coloured_status",
                    "reason", "sent_at", "opened_at", "clicked_at"]  # fmt: skip
    list_filter = ["status", "kind", "is_test", "template", "created_at"]
    search_fields = ["=to_email", "=esp_message_id", "source"]
    list_select_related = ["template"]
    show_full_result_count = False
    fields = ["to_email", "customer", "template", "kind", "coloured_status", "reason", "source",
              "idempotency_key", "subject", "message_id", "esp_message_id", "created_at",
              "sent_at", "delivered_at", "opened_at", "clicked_at", "bounced_at",
              "complained_at", "links", "variables", "message"]  # fmt: skip
    readonly_fields = fields

    def changelist_view(
        self, request: HttpRequest, extra_context: dict | None = None
    ) -> HttpResponse:
        rate = delivery_rate()
        extra_context = {**(extra_context or {}), "delivery_rate": rate}
        return super().changelist_view(request, extra_context)

    @admin.display(description="status", ordering="status")
    def coloured_status(self, delivery: EmailDelivery) -> str:
        colour = STATUS_COLOURS.get(delivery.status, "#000")
        return format_html('<b style="color:{}">{}</b>', colour, delivery.get_status_display())

    @admin.display(description="rendered message")
    def message(self, delivery: EmailDelivery) -> str:
        try:
            rendered = render_delivery(delivery)
        except (MissingVariable, ValueError) as exc:
            return format_html('<p style="color:#ba2121">Cannot render: {}</p>', exc)
        return render_to_string(
            "admin/marketing/emailtemplate/preview.html",
            {"subject": rendered.subject, "html": rendered.html, "text": rendered.text},
        )


class SuppressionForm(forms.ModelForm):
    class Meta:
        model = Suppression
        fields = ["email", "scope", "category", "reason"]


@admin.register(Suppression)
class SuppressionAdmin(admin.ModelAdmin):
    form = SuppressionForm
    list_display = ["email", "scope", "category", "reason", "created_at", "delivery"]
    list_filter = ["scope", "category", "created_at"]
    search_fields = ["email", "reason"]

    def save_model(self, request: HttpRequest, obj: Suppression, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        saved = email_services.suppress(
            email=obj.email, scope=obj.scope, category=obj.category,
            reason=obj.reason or "added by hand", actor=Actor.from_request(request),
        )  # fmt: skip
        obj.pk = saved.pk
