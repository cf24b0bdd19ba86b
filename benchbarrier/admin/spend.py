from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.html import format_html

from benchbarrier import clock
from benchbarrier.admin.read_only import ReadOnlyAdmin
from benchbarrier.dashboard import Figure, Panel, list_link, panel, place
from benchbarrier.models import Budget, ModelPrice, MonthlySpend, Notification, SpendEntry
from benchbarrier.services.spend import month_spend, month_start


@admin.register(SpendEntry)
class SpendEntryAdmin(ReadOnlyAdmin):
    """The spend ledger: read-only, written by every paid outside call."""

    list_display = ["created_at", "service", "operation", "model", "quantity", "cost_display",
                    "reference"]  # fmt: skip
    list_filter = ["service", "operation", "created_at"]
    search_fields = ["reference", "model"]
    date_hierarchy = "created_at"

    @admin.display(description="cost", ordering="cost")
    def cost_display(self, entry: SpendEntry) -> str:
        return "unknown" if entry.cost is None else f"{entry.cost.normalize()} {entry.currency}"


def _bar(spent: Decimal, limit: Decimal) -> str:
    """A horizontal bar: spent against the limit, amber from the warning share, red at
    100%."""
    share = float(spent / limit * 100) if limit else 100.0
    colour = _colour(share)
    return format_html(
        '<div style="width:220px;background:#eee;border-radius:3px" title="{}%">'
        '<div style="width:{}%;background:{};height:12px;border-radius:3px"></div></div>',
        f"{share:.0f}",
        f"{min(share, 100):.1f}",
        colour,
    )


@admin.register(Budget)
class BudgetAdmin(admin.ModelAdmin):
    """Monthly limits per service and in total, with this month's spend as a bar."""

    list_display = ["label_display", "monthly_limit", "mode", "warn_at_percent",
                    "spent_this_month", "usage"]  # fmt: skip
    list_editable = ["monthly_limit", "mode", "warn_at_percent"]
    list_display_links = ["label_display"]

    @admin.display(description="budget", ordering="service")
    def label_display(self, budget: Budget) -> str:
        return budget.label

    @admin.display(description="spent this month")
    def spent_this_month(self, budget: Budget) -> str:
        return f"{month_spend(budget.service or None):.2f} {budget.currency}"

    @admin.display(description="used")
    def usage(self, budget: Budget) -> str:
        return _bar(month_spend(budget.service or None), budget.monthly_limit)


CHART_MONTHS = 6


def _colour(share: float) -> str:
    return "#c0392b" if share >= 100 else "#e6a117" if share >= 80 else "#2e8b57"


def spend_chart(now: object = None) -> list[dict]:
    """Per budgeted service (and the total), the last six months' spend as a share of
    its budget: the bars of the chart above the monthly list."""
    first = month_start(now or clock.now()).date()
    months = []
    for _ in range(CHART_MONTHS):
        months.insert(0, first)
        first = (first.replace(day=1) - timedelta(days=1)).replace(day=1)
    totals: dict[tuple[str, object], Decimal] = {}
    for row in MonthlySpend.objects.filter(month__gte=months[0]):
        totals[row.service, row.month] = row.total
        totals["", row.month] = totals.get(("", row.month), Decimal(0)) + row.total
    chart = []
    for budget in Budget.objects.all():
        bars = []
        for month in months:
            spent = totals.get((budget.service, month), Decimal(0))
            share = float(spent / budget.monthly_limit * 100) if budget.monthly_limit else 0.0
            bars.append({"label": f"{month:%b %Y}", "spent": f"{spent:.2f}",
                         "share": f"{share:.0f}", "height": f"{min(share, 100):.1f}",
                         "colour": _colour(share)})  # fmt: skip
        chart.append({"label": budget.label, "limit": budget.monthly_limit,
                      "currency": budget.currency, "bars": bars})  # fmt: skip
    return chart


@admin.register(MonthlySpend)
class MonthlySpendAdmin(ReadOnlyAdmin):
    """Spend by service and month, each against its budget, with a chart of the last
    six months above the list."""

    change_list_template = "admin/benchbarrier/monthlyspend/change_list.html"
    list_display = ["month_display", "service", "total_display", "against_budget"]
    list_filter = ["service", "month"]
    ordering = ["-month", "service"]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict | None = None
    ) -> HttpResponse:
        return super().changelist_view(request, {**(extra_context or {}), "chart": spend_chart()})

    def get_queryset(self, request: HttpRequest) -> QuerySet[MonthlySpend]:
        self._limits = {b.service: b.monthly_limit for b in Budget.objects.all()}
        return super().get_queryset(request)

    @admin.display(description="month", ordering="month")
    def month_display(self, row: MonthlySpend) -> str:
        return f"{row.month:%Y-%m}"

    @admin.display(description="spent", ordering="total")
    def total_display(self, row: MonthlySpend) -> str:
        return f"{row.total:.2f}"

    @admin.display(description="against its budget")
    def against_budget(self, row: MonthlySpend) -> str:
        limit = self._limits.get(row.service)
        return _bar(row.total, limit) if limit else "no budget"


@admin.register(ModelPrice)
class ModelPriceAdmin(admin.ModelAdmin):
    """The price table that turns token usage into cost; a model missing here is
    recorded at an unknown cost."""

    list_display = ["model", "service", "input_per_million", "cached_input_per_million",
                    "output_per_million", "per_image", "currency", "published_on"]  # fmt: skip
    list_filter = ["service"]
    search_fields = ["model"]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "level", "kind", "message", "acknowledged_at"]
    list_filter = ["level", "kind", "acknowledged_at"]
    search_fields = ["message"]
    readonly_fields = ["key", "kind", "level", "message", "details", "created_at"]
    actions = ["acknowledge"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Acknowledge")
    def acknowledge(self, request: HttpRequest, queryset: QuerySet[Notification]) -> None:
        count = queryset.filter(acknowledged_at__isnull=True).update(acknowledged_at=clock.now())
        self.message_user(request, f"{count} notification(s) acknowledged.")


place("Operations", SpendEntry, MonthlySpend, Budget, ModelPrice, Notification)


@panel("Spend", order=60)
def spend(request: HttpRequest) -> Panel:
    """This month's spend against each budget (amber from its warning share, red when
    spent), and the notifications nobody has acknowledged."""
    figures = []
    for budget in Budget.objects.all():
        spent = month_spend(budget.service or None)
        share = float(spent / budget.monthly_limit * 100) if budget.monthly_limit else 100.0
        tone = "bad" if share >= 100 else "warn" if share >= budget.warn_at_percent else ""
        figures.append(Figure(f"{budget.label}, of {budget.monthly_limit:,.0f} {budget.currency}",
                              f"{spent:,.2f}", list_link(MonthlySpend), tone=tone))  # fmt: skip
    open_count = Notification.objects.filter(acknowledged_at__isnull=True).count()
    figures.append(Figure("open notifications", f"{open_count:,}",
                          list_link(Notification, acknowledged_at__isnull="True"),
                          tone="warn" if open_count else "good"))  # fmt: skip
    return Panel(
        f"Spend this month ({clock.now():%B})",
        figures=figures,
        note="AI, email and SMS spend from the ledger; budgets refuse or warn at 100%.",
        link=list_link(Budget),
    )
