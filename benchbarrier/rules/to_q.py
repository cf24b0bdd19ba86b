"""Compile the core tree to a Django `Q`, so membership is computed in the database.

Three-valued logic is made two-valued on purpose: every comparison also requires its
operand to be present, so `not` of a comparison on a NULL is true, exactly as the
Python predicate (`to_predicate`) answers.
"""

from __future__ import annotations

import operator
from functools import reduce
from typing import Any

from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    F,
    FloatField,
    Func,
    IntegerField,
    Q,
    Subquery,
    TextField,
    Value,
    When,
)
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Coalesce
from django.db.models.lookups import (
    Exact,
    GreaterThan,
    GreaterThanOrEqual,
    IContains,
    IsNull,
    LessThan,
)

from benchbarrier.rules import tree
from benchbarrier.rules.fields import Catalogue, FieldSpec, Kind

_LOOKUPS = {
    tree.Op.EQ: Exact,
    tree.Op.GT: GreaterThan,
    tree.Op.GE: GreaterThanOrEqual,
    tree.Op.LT: LessThan,
    tree.Op.CONTAINS: IContains,
}


class JSONType(Func):
    """The JSON type of `column -> path`, the same words on every database:
    'number', 'string', 'true', 'false', 'null', 'object', 'array'; SQL NULL when the
    key is absent."""

    output_field = CharField()

    def __init__(self, column: str, path: tuple[str, ...]) -> None:
        super().__init__(F(column))
        self.path = path

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list]:
        column, params = compiler.compile(self.source_expressions[0])
        target = f"({column} #> %s)"
        sql = (
            f"CASE jsonb_typeof({target}) WHEN 'boolean' THEN ({target})::text "
            f"ELSE jsonb_typeof({target}) END"
        )
        path = list(self.path)
        return sql, [*params, path, *params, path, *params, path]

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list]:
        column, params = compiler.compile(self.source_expressions[0])
        path = "$" + "".join(f'."{key}"' for key in self.path)
        sql = (
            f"CASE json_type({column}, %s) WHEN 'integer' THEN 'number' WHEN 'real' "
            f"THEN 'number' WHEN 'text' THEN 'string' ELSE json_type({column}, %s) END"
        )
        return sql, [*params, path, *params, path]


def to_q(node: tree.Node, catalogue: Catalogue) -> Q:
    """A Q over the catalogue's model; `catalogue.event_queryset` serves event rules."""
    if isinstance(node, tree.All):
        return reduce(operator.and_, (to_q(child, catalogue) for child in node.nodes))
    if isinstance(node, tree.Any_):
        return reduce(operator.or_, (to_q(child, catalogue) for child in node.nodes))
    if isinstance(node, tree.Not):
        return ~to_q(node.node, catalogue)
    if isinstance(node, tree.IsNull):
        return _is_null(node.field)
    if isinstance(node, tree.EventsAtLeast):
        return _events_at_least(node, catalogue)
    return _compare(node)


def _compare(node: tree.Compare) -> Q:
    operand = _operand(node.field, node.value)
    lookup = _LOOKUPS[node.op]
    if node.field.kind == Kind.JSON and isinstance(node.value, bool):
        json_type = Coalesce(JSONType(node.field.column, node.field.path), Value("absent"))
        return Q(Exact(json_type, Value(_json_bool(node.value))))
    condition = Q(lookup(operand, node.value))
    if node.field.nullable or node.field.kind == Kind.JSON:
        condition &= Q(IsNull(operand, False))
    return condition


def _operand(field: FieldSpec, value: Any) -> Any:
    if field.kind != Kind.JSON:
        return F(field.column)
    key = KT("__".join((field.column, *field.path)))
    type_ = JSONType(field.column, field.path)
    if isinstance(value, str):
        return Case(When(Exact(type_, Value("string")), then=key), output_field=TextField())
    return Case(
        When(Exact(type_, Value("number")), then=Cast(key, FloatField())),
        output_field=FloatField(),
    )


def _is_null(field: FieldSpec) -> Q:
    if field.kind != Kind.JSON:
        return Q(IsNull(F(field.column), True))
    type_ = Coalesce(JSONType(field.column, field.path), Value("null"))
    return Q(Exact(type_, Value("null")))


def _json_bool(value: bool) -> str:
    return "true" if value else "false"


def _events_at_least(node: tree.EventsAtLeast, catalogue: Catalogue) -> Q:
    if catalogue.event_queryset is None:
        raise ValueError("this catalogue has no events, so event rules cannot be compiled")
    events = catalogue.event_queryset(node.name, node.since)
    if node.count == 1:
        return Q(Exists(events))
    counted = (
        events.order_by()
        .annotate(_group=Value(1, IntegerField()))
        .values("_group")
        .annotate(n=Count("*"))
        .values("n")
    )
    return Q(GreaterThanOrEqual(Coalesce(Subquery(counted), 0), node.count))
