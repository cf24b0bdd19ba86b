"""What a workflow run hands an email template: values read from the run by dotted path.

A run has its context (`trigger`, the trigger event's namespace such as `cart`,
`event`, `steps`), its customer (`customer.first_name`, `customer.email`...) and, on
demand, its discount code (`discount.code`, issued the first time a step asks, then
the same code for every later step of the run).

`values_for(run, paths)` builds the template's variables from a list of paths (the
seed's form, `["cart.items", "cart.total"]`): each path's value goes to the template
under the same path. A path with no value raises StepFailed naming it: retrying would
not give it one. A discount is handed whole (`["discount.code"]` also gives the
template `discount.percent` and `discount.expires`): a code means little without them.
"""

from __future__ import annotations

from typing import Any

from marketing.models import Customer
from marketing.services.discounts import (
    DiscountUnavailable,
    Recipient,
    issue_discount,
    template_values,
)
from workflows.registry import StepFailed, StepRun, lookup, references, resolve_values


def values_for(run: StepRun, paths: list[str], *, where: str) -> dict[str, Any]:
    """{path: value} nested (`{"cart": {"items": ...}}`) for `paths`; `where` says, in
    an error, what asked for them (`steps[1].variables[0]`)."""
    scope = scope_of(run, paths)
    variables: dict[str, Any] = {}
    for index, path in enumerate(paths):
        value = lookup(scope, path)
        if value is None:
            label = where.format(index=index)
            raise StepFailed(f'{label}: "{path}" has no value in this run')
        _put(variables, path.split("."), value)
    if "discount" in variables:  # a code comes with what it gives and until when
        variables["discount"] = scope["discount"]
    return variables


def scope_of(run: StepRun, wanted: list[str]) -> dict[str, Any]:
    """The run's context, with `customer` and (when a wanted path or reference starts
    with `discount`) the run's discount added."""
    scope = {**run.context, "customer": _customer_values(customer_of(run))}
    if any(path.split(".", 1)[0] == "discount" for path in wanted):
        scope["discount"] = template_values(discount_of(run))
    return scope


def resolved(run: StepRun, value: Any) -> Any:
    """The object form (`{"cart": "{{ trigger }}"}`) resolved against the run."""
    return resolve_values(value, scope_of(run, references(value)))


def customer_of(run: StepRun) -> Customer | None:
    """The run's customer (by the site's user id), loaded for the whole batch of runs
    being advanced in one query."""
    user_id = run.context.get("userId")
    if not user_id:
        return None
    customers = run.batch.load("marketing.customers", _customers_of)
    if user_id not in customers:  # a run outside the batch (a simulation)
        customers[user_id] = Customer.objects.filter(external_id=user_id).first()
    return customers[user_id]


def _customers_of(executions: list[Any]) -> dict[str, Customer | None]:
    users = {e.context.get("userId") for e in executions} - {None, ""}
    found = {c.external_id: c for c in Customer.objects.filter(external_id__in=users)}
    return {user: found.get(user) for user in users}


def discount_of(run: StepRun) -> Any:
    """The run's discount code: issued once per run, from the step's `discount`
    setting, else the workflow's, else generated with the defaults."""
    setting = run.step.get("discount")
    if setting is None:
        setting = run.execution.definition.get("settings", {}).get("discount", {})
    customer = customer_of(run)
    try:
        return issue_discount(
            setting=setting,
            to=Recipient(
                user_id=run.context.get("userId") or "",
                customer=customer,
                source=f"workflow {run.execution.workflow_id} / execution {run.execution.pk}",
                idempotency_key=f"workflow:{run.execution.pk}:discount",
            ),
        )
    except DiscountUnavailable as exc:
        raise StepFailed(f"{run.path}: {exc}") from None


def _customer_values(customer: Customer | None) -> dict[str, Any]:
    if customer is None:
        return {}
    return {
        "name": customer.name.strip(),
        "first_name": customer.first_name,
        "email": customer.email,
        "external_id": customer.external_id,
        "traits": customer.traits,
        "total_spent": str(customer.total_spent),
        "order_count": customer.order_count,
    }


def _put(target: dict[str, Any], parts: list[str], value: Any) -> None:
    for part in parts[:-1]:
        target = target.setdefault(part, {})
    target[parts[-1]] = value
