"""The customer list's GDPR actions: export everything held about a customer (a
`data.export` job per customer, linked from the message), and erase it (after a page that
says what will go and what stays)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from benchbarrier.services.audit import Actor
from marketing.models import Customer
from marketing.services import privacy


@admin.action(description="Export their personal data (GDPR access)", permissions=["view"])
def export_personal_data(modeladmin: admin.ModelAdmin, request: HttpRequest,
                         queryset: QuerySet[Customer]) -> None:  # fmt: skip
    jobs, skipped = [], 0
    for customer in queryset.filter(erased_at__isnull=True):
        if not customer.external_id:
            skipped += 1
            continue
        actor = Actor.from_request(request)
        jobs.append(privacy.request_export(external_id=customer.external_id, actor=actor,
                                           request=request))  # fmt: skip
    if jobs:
        links = format_html_join(", ", '<a href="{}">job {}</a>', [
            (reverse("admin:jobs_job_change", args=[j.pk]), j.pk) for j in jobs])  # fmt: skip
        messages.success(request, format_html(
            "{} export(s) started; each job's result holds the download link: {}",
            len(jobs), links))  # fmt: skip
    if skipped:
        messages.warning(request, f"{skipped} customer(s) have no site user id, which exports "
                         "are keyed by: nothing exported for them.")  # fmt: skip


@admin.action(description="Erase their personal data (GDPR erasure; cannot be undone)",
              permissions=["delete"])  # fmt: skip
def erase_personal_data(modeladmin: admin.ModelAdmin, request: HttpRequest,
                        queryset: QuerySet[Customer]) -> TemplateResponse | None:  # fmt: skip
    customers = list(queryset.filter(erased_at__isnull=True))
    if not customers:
        messages.warning(request, "The selected customers were erased already.")
        return None
    if request.POST.get("confirmed") != "yes":
        return TemplateResponse(request, "admin/marketing/customer/erase_confirmation.html", {
            **modeladmin.admin_site.each_context(request),
            "title": "Erase personal data?", "opts": Customer._meta, "customers": customers,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        })  # fmt: skip
    references = [privacy.erase_customer(customer=customer, actor=Actor.from_request(request),
                                         request=request).reference
                  for customer in customers]  # fmt: skip
    messages.success(request, f"{len(references)} customer(s) erased; they are now "
                     f"{', '.join(references)}.")  # fmt: skip
    return None
