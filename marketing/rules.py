"""The customer as the rule language sees it: every column by kind, `traits.<key>`,
the seed's alias `total_orders`, and the customer's events for event rules."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from django.db import models
from django.db.models import OuterRef, QuerySet

from analytics.models import Event
from benchbarrier import clock
from benchbarrier.rules import Catalogue, FieldSpec, Kind, RuleSet, json_value, parse_rules, to_q
from marketing.models import Customer

_KINDS = {
    models.CharField: Kind.TEXT,
    models.EmailField: Kind.TEXT,
    models.TextField: Kind.TEXT,
    models.IntegerField: Kind.NUMBER,
    models.BigAutoField: Kind.NUMBER,
    models.AutoField: Kind.NUMBER,
    models.DecimalField: Kind.NUMBER,
    models.FloatField: Kind.NUMBER,
    models.BooleanField: Kind.BOOL,
    models.DateTimeField: Kind.DATETIME,
}


def _customer_fields() -> dict[str, FieldSpec]:
    fields = {}
    for field in Customer._meta.concrete_fields:
        kind = _KINDS.get(type(field))
        if kind is not None:
            fields[field.name] = FieldSpec(
                name=field.name,
                kind=kind,
                column=field.attname,
                nullable=field.null,
                label=str(field.verbose_name),
            )
    return fields


def _customer_events(name: str, since: datetime | None) -> QuerySet[Event]:
    events = Event.objects.filter(user_id=OuterRef("external_id"), event_name=name)
    return events.filter(timestamp__gte=since) if since is not None else events


CUSTOMER_RULES = Catalogue(
    fields=_customer_fields(),
    aliases={"total_orders": "order_count", "orders": "order_count"},
    json_columns=("traits",),
    event_queryset=_customer_events,
)


# A workflow condition sees the run's customer and, as `trigger.<key>`, what started the
# run (the event's properties, the webhook's body).
RUN_RULES = replace(CUSTOMER_RULES, json_columns=(*CUSTOMER_RULES.json_columns, "trigger"))


def parse_customer_rules(data: Any, path: str = "rules") -> RuleSet:
    """Raises benchbarrier.rules.RuleError naming each bad rule."""
    return parse_rules(data, CUSTOMER_RULES, path)


def parse_run_rules(data: Any, path: str = "rules") -> RuleSet:
    """Rules of a workflow condition: the customer's fields and `trigger.<key>`."""
    return parse_rules(data, RUN_RULES, path)


class CustomerContext:
    """A customer for the Python predicate. Event counts come from `events` when given
    (a list of Event or BusEvent), else from the database, one query per count."""

    def __init__(self, customer: Customer, events: list[Any] | None = None) -> None:
        self.customer = customer
        self.events = events

    def value(self, field: FieldSpec) -> Any:
        if field.kind == Kind.JSON:
            return json_value(getattr(self.customer, field.column), field.path)
        return getattr(self.customer, field.column)

    def event_count(self, name: str, since: datetime | None) -> int:
        if self.events is None:
            if not self.customer.external_id:
                return 0
            events = Event.objects.filter(user_id=self.customer.external_id, event_name=name)
            if since is not None:
                events = events.filter(timestamp__gte=since)
            return events.count()
        return sum(
            1
            for event in self.events
            if event.event_name == name and (since is None or event.timestamp >= since)
        )


class RunContext(CustomerContext):
    """A workflow run for the Python predicate: `trigger.<key>` from its context, the
    rest from its customer (none: customer fields are empty, event counts 0)."""

    def __init__(self, customer: Customer | None, context: dict[str, Any]) -> None:
        super().__init__(customer or Customer(), events=None if customer else [])
        self.context = context

    def value(self, field: FieldSpec) -> Any:
        if field.column == "trigger":
            return json_value(self.context.get("trigger") or {}, field.path)
        return super().value(field)


def customers_matching(ruleset: RuleSet, now: datetime | None = None) -> QuerySet[Customer]:

    node = ruleset.lower(now or clock.now())
    return Customer.objects.filter(to_q(node, CUSTOMER_RULES))
