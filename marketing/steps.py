"""What marketing gives the workflow engine: the `sendEmail` and `updateCustomer` steps,
the named checks `cart.stillAbandoned` and `user.hasOrdered`, and the rule language
(rules about the run's customer and `trigger.<key>`) for conditions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from analytics.models import Event
from benchbarrier.rules import RuleError, evaluate
from marketing.email.services import queue_email
from marketing.models import Customer, EmailTemplate
from marketing.rules import RunContext, parse_run_rules
from workflows.registry import (
    Errors,
    StepResult,
    StepRun,
    allowed_keys,
    check,
    delay_of,
    resolve_values,
    rule_language,
    step_type,
)


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


def _validate_send_email(step: dict[str, Any], path: str) -> Errors:
    errors = allowed_keys(step, path, {"template", "variables", "delay", "to"})
    template = step.get("template")
    if not isinstance(template, str) or not EmailTemplate.objects.filter(slug=template).exists():
        errors.append((f"{path}.template", f'unknown template "{template}"'))
    if not isinstance(step.get("variables", {}), dict):
        errors.append((f"{path}.variables", "must be an object"))
    delay = step.get("delay", "immediate")
    if delay != "immediate":
        try:
            delay_of(step)
        except (ValueError, TypeError):
            errors.append((f"{path}.delay", '"immediate" or a duration like "2h"'))
    return errors


@step_type("sendEmail", validate=_validate_send_email)
def send_email(run: StepRun) -> StepResult:
    """Queue an email to the execution's customer (once per execution and step)."""
    customer = customer_of(run)
    variables = resolve_values(run.step.get("variables", {}), run.context)
    to = run.step.get("to") or None
    if customer is None and to is None:
        raise ValueError(f'no customer with site user id "{run.context.get("userId")}" to email')
    delay = delay_of(run.step)
    delivery = queue_email(
        template=run.step["template"],
        variables=variables,
        customer=customer,
        to=to,
        source=f"workflow {run.execution.workflow_id} / execution {run.execution.pk} / {run.path}",
        idempotency_key=run.idempotency_key,
        send_after=run.now + delay if delay else None,
    )
    return StepResult(output={"deliveryId": delivery.pk, "to": delivery.to_email})


def _validate_update_customer(step: dict[str, Any], path: str) -> Errors:
    errors = allowed_keys(step, path, {"traits"})
    if not isinstance(step.get("traits"), dict) or not step["traits"]:
        errors.append((f"{path}.traits", 'traits to set, like {"segment": "vip"}'))
    return errors


@step_type("updateCustomer", validate=_validate_update_customer)
def update_customer(run: StepRun) -> StepResult:
    """Set traits on the execution's customer (null removes one)."""
    customer = customer_of(run)
    if customer is None:
        raise ValueError(f'no customer with site user id "{run.context.get("userId")}"')
    traits = dict(customer.traits)
    for key, value in resolve_values(run.step["traits"], run.context).items():
        if value is None:
            traits.pop(key, None)
        else:
            traits[key] = value
    Customer.objects.filter(pk=customer.pk).update(traits=traits)
    return StepResult(output={"traits": traits})


@check("cart.stillAbandoned", "no order.completed for the trigger's cartId since it started")
def cart_still_abandoned(run: StepRun) -> bool:
    context = run.context
    cart = context.get("trigger", {}).get("cartId")
    orders = Event.objects.filter(user_id=context.get("userId"), event_name="order.completed")
    started = context.get("event", {}).get("timestamp")
    if started:
        orders = orders.filter(timestamp__gte=datetime.fromisoformat(started))
    if cart is not None:
        orders = orders.filter(properties__cartId=cart)
    return not orders.exists()


@check("user.hasOrdered", "the customer has at least one completed order")
def user_has_ordered(run: StepRun) -> bool:
    customer = customer_of(run)
    return bool(customer and customer.order_count > 0)


def _validate_rules(rules: Any, path: str) -> Errors:
    try:
        parse_run_rules(rules, path)
    except RuleError as exc:
        return exc.errors
    return []


def _evaluate_rules(rules: Any, run: StepRun) -> bool:
    return evaluate(
        parse_run_rules(rules).lower(run.now), RunContext(customer_of(run), run.context)
    )


rule_language(validate=_validate_rules, evaluate=_evaluate_rules)
