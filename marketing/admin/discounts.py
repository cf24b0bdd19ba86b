"""Discount pools (with the CSV import of the platform's codes) and the codes: who got
each, for what, and whether an order used it."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from benchbarrier.services.audit import Actor
from marketing.models import DiscountCode, DiscountPool
from marketing.services.discounts import import_pool_csv


class PoolImportForm(forms.Form):
    file = forms.FileField(
        help_text='The CSV your shop platform exported: a "code" column (or "name", '
        '"discount code"), optionally "expires at" / "ends at".'
    )


@admin.register(DiscountPool)
class DiscountPoolAdmin(admin.ModelAdmin):
    list_display = ["name", "gives", "waiting", "issued", "used", "import_link"]
    search_fields = ["name", "description"]
    readonly_fields = ["import_link"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[DiscountPool]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                n_waiting=Count("codes", filter=Q(codes__issued_at__isnull=True)),
                n_issued=Count("codes", filter=Q(codes__issued_at__isnull=False)),
                n_used=Count("codes", filter=Q(codes__used_at__isnull=False)),
            )
        )

    def get_urls(self) -> list:
        view = self.admin_site.admin_view(self.import_view)
        return [
            path("<int:pk>/import/", view, name="marketing_discountpool_import"),
            *super().get_urls(),
        ]

    @admin.display(description="gives")
    def gives(self, pool: DiscountPool) -> str:
        if pool.kind == "percent":
            return f"{pool.value.normalize():f}% off"
        return f"{pool.value} {pool.currency} off"

    @admin.display(description="waiting", ordering="n_waiting")
    def waiting(self, pool: DiscountPool) -> Any:
        count = getattr(pool, "n_waiting", 0)
        if count == 0:
            return format_html('<strong style="color:#ba2121">0 (empty)</strong>')
        return count

    @admin.display(description="issued", ordering="n_issued")
    def issued(self, pool: DiscountPool) -> str:
        url = reverse("admin:marketing_discountcode_changelist") + f"?pool__id__exact={pool.pk}"
        return format_html('<a href="{}">{}</a>', url, getattr(pool, "n_issued", 0))

    @admin.display(description="used", ordering="n_used")
    def used(self, pool: DiscountPool) -> int:
        return getattr(pool, "n_used", 0)

    @admin.display(description="codes")
    def import_link(self, pool: DiscountPool) -> str:
        if pool.pk is None:
            return "Save the pool first, then import its codes."
        url = reverse("admin:marketing_discountpool_import", args=[pool.pk])
        return format_html('<a class="button" href="{}">Import codes (CSV)</a>', url)

    def import_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        pool = get_object_or_404(DiscountPool, pk=pk)
        form = PoolImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                result = import_pool_csv(
                    pool=pool, data=form.cleaned_data["file"].read(),
                    actor=Actor.from_request(request),
                )  # fmt: skip
            except ValueError as exc:
                form.add_error("file", str(exc))
            else:
                self.message_user(request, f"{result.added} code(s) added to {pool.name}.")
                if result.already_there:
                    shown = ", ".join(result.already_there[:20])
                    self.message_user(request, f"{len(result.already_there)} already known, "
                                      f"not added again: {shown}", messages.WARNING)  # fmt: skip
                for problem in result.problems[:20]:
                    self.message_user(request, problem, messages.ERROR)
                return redirect("admin:marketing_discountpool_changelist")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "pool": pool,
            "form": form,
            "title": f"Import codes into {pool.name}",
        }
        return TemplateResponse(request, "admin/marketing/discountpool/import.html", context)


class UsedFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("waiting", "waiting in a pool"), ("issued", "issued, not used"),
                ("used", "used by an order")]  # fmt: skip

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "waiting":
            return queryset.filter(issued_at__isnull=True)
        if self.value() == "issued":
            return queryset.filter(issued_at__isnull=False, used_at__isnull=True)
        if self.value() == "used":
            return queryset.filter(used_at__isnull=False)
        return queryset


@admin.register(DiscountCode)
class DiscountCodeAdmin(admin.ModelAdmin):
    list_display = ["code", "gives", "pool", "recipient", "issued_at", "source", "used"]
    list_filter = [UsedFilter, "pool", "kind"]
    search_fields = ["code", "user_id", "customer__email", "order_id"]
    list_select_related = ["pool", "customer"]
    date_hierarchy = "issued_at"
    readonly_fields = [f.name for f in DiscountCode._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # codes are issued by workflows or imported into pools

    @admin.display(description="gives")
    def gives(self, code: DiscountCode) -> str:
        if code.kind == "percent":
            return f"{code.value.normalize():f}% off"
        return f"{code.value} {code.currency} off"

    @admin.display(description="to", ordering="user_id")
    def recipient(self, code: DiscountCode) -> str:
        if code.customer_id:
            url = reverse("admin:marketing_customer_change", args=[code.customer_id])
            return format_html('<a href="{}">{}</a>', url, code.customer)
        return code.user_id or "-"

    @admin.display(description="used by", ordering="used_at")
    def used(self, code: DiscountCode) -> str:
        if code.used_at is None:
            return "-"
        return f"order {code.order_id or '?'} on {code.used_at:%Y-%m-%d}"
