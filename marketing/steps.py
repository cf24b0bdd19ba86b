"""What marketing gives the workflow engine: the `sendEmail` and `updateCustomer` steps,
the named checks `cart.stillAbandoned` and `user.hasOrdered`, the rule language
(rules about the run's customer and `trigger.<key>`) for conditions, the `discount`
setting, and how to tell whether a run's user is a known customer.

`sendEmail.variables` takes three forms:
- a list of dotted paths, as the seed writes it (`["cart.items", "cart.total"]`,
  `["discount.code"]`): each path's value from the run, under the same path;
- an object whose values may refer to the run (`{"cart": "{{ trigger }}"}`);
- nothing: the template gets the variables it declares, read from the run the same way
  (the seed's `first-order-discount` email gets its discount code so).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from analytics.models import Event
from benchbarrier.rules import RuleError, evaluate
from benchbarrier.services.audit import Actor
from marketing.campaigns.sequences import (
    record_sequence_send,
    sequence_content,
    sequence_step_errors,
)
from marketing.email.services import EmailTemplateUnknown, queue_email
from marketing.models import Customer, EmailTemplate
from marketing.push.services import queue_push
from marketing.rules import RunContext, parse_run_rules
from marketing.run_values import customer_of, resolved, scope_of, values_for
from marketing.services.discounts import setting_errors
from marketing.sms.services import SmsTextError, queue_sms, render_text, text_problem
from workflows.registry import (
    DefinitionScope,
    Errors,
    StepFailed,
    StepResult,
    StepRun,
    allowed_keys,
    check,
    delay_of,
    namespace_problem,
    reference_errors,
    references,
    rule_language,
    step_type,
    subject_lookup,
    workflow_setting,
)

SEND_EMAIL_KEYS = {"template", "variables", "delay", "to", "discount", "subject", "campaign",
                   "variants"}  # fmt: skip


def _validate_send_email(step: dict[str, Any], path: str, scope: DefinitionScope) -> Errors:
    errors = allowed_keys(step, path, SEND_EMAIL_KEYS)
    slug = step.get("template")
    template = EmailTemplate.objects.filter(slug=slug).first() if isinstance(slug, str) else None
    if template is None:
        errors.append((f"{path}.template", f'unknown template "{slug}"'))
    variables = step.get("variables")
    if isinstance(variables, list):
        errors += _path_list_errors(variables, f"{path}.variables", scope, template)
    elif isinstance(variables, dict):
        errors += reference_errors(variables, f"{path}.variables", scope)
    elif variables is not None:
        errors.append((f"{path}.variables", 'a list of paths like ["cart.items"] or an object'))
    elif template is not None:
        for name in template.variables:
            if problem := namespace_problem(name, scope):
                errors.append((f"{path}.template", f'the template needs "{name}": {problem}'))
    if "discount" in step:
        errors += setting_errors(step["discount"], f"{path}.discount")
    if "subject" in step and (not isinstance(step["subject"], str) or not step["subject"].strip()):
        errors.append((f"{path}.subject", "the subject line to send instead of the template's"))
    errors += sequence_step_errors(step, path)
    if step.get("delay", "immediate") != "immediate":
        try:
            delay_of(step)
        except (ValueError, TypeError):
            errors.append((f"{path}.delay", '"immediate" or a duration like "2h"'))
    return errors


def _path_list_errors(
    paths: list[Any], path: str, scope: DefinitionScope, template: EmailTemplate | None
) -> Errors:
    errors: Errors = []
    for index, item in enumerate(paths):
        if not isinstance(item, str) or not item or " " in item:
            errors.append((f"{path}[{index}]", 'a dotted path like "cart.items"'))
        elif problem := namespace_problem(item, scope):
            errors.append((f"{path}[{index}]", f'"{item}": {problem}'))
    if template is not None and not errors:
        given = set(paths)
        for needed in template.variables:
            if needed not in given and not any(needed.startswith(f"{p}.") for p in given):
                errors.append((path, f'template "{template.slug}" needs "{needed}"; add it'))
    return errors


def _email_variables(run: StepRun, slug: str) -> dict[str, Any]:
    variables = run.step.get("variables")
    if isinstance(variables, dict):
        return resolved(run, variables)
    if isinstance(variables, list):
        return values_for(run, variables, where=f"{run.path}.variables[{{index}}]")
    template = EmailTemplate.objects.filter(slug=slug).first()
    if template is None:
        raise StepFailed(f'{run.path}.template: unknown template "{slug}"')
    return values_for(run, list(template.variables), where=f'template "{slug}" variable {{index}}')


@step_type(
    "sendEmail",
    validate=_validate_send_email,
    needs_subject=lambda step: not step.get("to"),
)
def send_email(run: StepRun) -> StepResult:
    """Queue an email to the execution's customer (once per execution and step)."""
    customer = customer_of(run)
    to = run.step.get("to") or None
    if to is None and (customer is None or not customer.email):
        user = run.context.get("userId")
        reason = "has no email address" if customer else "does not exist"
        raise StepFailed(f'{run.path}: the customer with site user id "{user}" {reason}')
    variables = _email_variables(run, run.step["template"])
    delay = delay_of(run.step)
    template, subject, variant = sequence_content(run)
    try:
        delivery = queue_email(
            template=template,
            subject=subject,
            variables=variables,
            customer=customer,
            to=to,
            source=f"workflow {run.execution.workflow_id} / execution {run.execution.pk} / "
            f"{run.path}",
            idempotency_key=run.idempotency_key,
            send_after=run.now + delay if delay else None,
        )
    except EmailTemplateUnknown as exc:
        raise StepFailed(f"{run.path}.template: {exc}") from None
    output = {"deliveryId": delivery.pk, "to": delivery.to_email}
    if run.step.get("campaign"):
        output["campaignSend"] = record_sequence_send(run, customer, delivery, variant)
        output["variant"] = variant
    return StepResult(output=output)


def _validate_send_sms(step: dict[str, Any], path: str, scope: DefinitionScope) -> Errors:
    errors = allowed_keys(step, path, {"text", "delay", "to"})
    problem = text_problem(step.get("text"))
    if problem:
        errors.append((f"{path}.text", problem))
    return errors


@step_type(
    "sendSms",
    validate=_validate_send_sms,
    needs_subject=lambda step: not step.get("to"),
)
def send_sms(run: StepRun) -> StepResult:
    """Queue an SMS to the run's customer (once per run and step): the text with the
    run's values ({{ customer.first_name }}, {{ cart.total }}...) filled in."""
    customer = customer_of(run)
    to = run.step.get("to") or None
    if to is None and customer is None:
        user = run.context.get("userId")
        raise StepFailed(f'{run.path}: no customer has the site user id "{user}"')
    scope = scope_of(run, references(run.step["text"]))
    scope["customer"] = {**scope["customer"], "phone": customer.phone if customer else ""}
    delay = delay_of(run.step)
    try:
        text = render_text(run.step["text"], scope)
    except SmsTextError as exc:
        raise StepFailed(f"{run.path}.text: {exc}") from None
    message = queue_sms(
        text=text,
        customer=customer,
        to=to,
        source=f"workflow {run.execution.workflow_id} / execution {run.execution.pk} / {run.path}",
        idempotency_key=run.idempotency_key,
        send_after=run.now + delay if delay else None,
    )
    return StepResult(output={"smsId": message.pk, "to": message.to_number})


def _validate_send_push(step: dict[str, Any], path: str, scope: DefinitionScope) -> Errors:
    errors = allowed_keys(step, path, {"title", "body", "url", "delay"})
    for key, limit, needed in [("title", 200, True), ("body", 500, False), ("url", 1000, False)]:
        value = step.get(key)
        if value is None and not needed:
            continue
        problem = text_problem(value) if isinstance(value, str) else "text"
        if problem is None and len(value) > limit:
            problem = f"at most {limit} characters"
        if problem:
            errors.append((f"{path}.{key}", problem))
    return errors


@step_type("sendPush", validate=_validate_send_push, needs_subject=lambda step: True)
def send_push(run: StepRun) -> StepResult:
    """A web push notification to the run's customer's browsers (once per run and step);
    title, body and url may use the run's values."""
    customer = customer_of(run)
    if customer is None:
        user = run.context.get("userId")
        raise StepFailed(f'{run.path}: no customer has the site user id "{user}"')
    texts = {key: run.step.get(key, "") for key in ("title", "body", "url")}
    scope = scope_of(run, references(list(texts.values())))
    try:
        filled = {key: render_text(text, scope) if text else "" for key, text in texts.items()}
    except SmsTextError as exc:
        raise StepFailed(f"{run.path}: {exc}") from None
    delay = delay_of(run.step)
    message = queue_push(
        customer=customer, **filled, idempotency_key=run.idempotency_key,
        source=f"workflow {run.execution.workflow_id} / execution {run.execution.pk} / "
        f"{run.path}", send_after=run.now + delay if delay else None,
    )  # fmt: skip
    return StepResult(output={"pushId": message.pk})


def _validate_post_social(step: dict[str, Any], path: str, scope: DefinitionScope) -> Errors:
    from marketing.social.models import SocialAccount
    from marketing.social.services import post_problems, resolve_image

    errors = allowed_keys(step, path, {"account", "text", "imageId", "imageUrl", "link", "delay"})
    account = SocialAccount.objects.filter(name=step.get("account"), is_active=True).first()
    if account is None:
        errors.append((f"{path}.account", f'no active social account "{step.get("account")}"'))
    problem = text_problem(step.get("text"))
    if problem:
        errors.append((f"{path}.text", problem))
    elif account is not None:
        image, problems = resolve_image(step.get("imageId"), step.get("imageUrl", ""))
        problems += post_problems(account, step["text"], image)
        errors += [(f"{path}.{field}", message) for field, message in problems]
    return errors


@step_type("postSocial", validate=_validate_post_social)
def post_social(run: StepRun) -> StepResult:
    """Publish to a social account (once per run and step): approved by whoever saved
    the workflow, published by the `social.post` job at once or after `delay`."""
    from marketing.social.models import SocialAccount
    from marketing.social.services import PostError, create_post

    account = SocialAccount.objects.filter(name=run.step["account"], is_active=True).first()
    if account is None:
        raise StepFailed(f'{run.path}.account: no active social account "{run.step["account"]}"')
    scope = scope_of(run, references(run.step["text"]))
    try:
        text = render_text(run.step["text"], scope)
        post = create_post(
            account=account, text=text, link=run.step.get("link", ""),
            image_url=run.step.get("imageUrl", ""), image_id=run.step.get("imageId"),
            scheduled_for=run.now + delay_of(run.step), approved=True,
            idempotency_key=run.idempotency_key, actor=Actor.system("workflow"),
            source=f"workflow {run.execution.workflow_id} / execution {run.execution.pk}",
        )  # fmt: skip
    except (SmsTextError, PostError) as exc:
        raise StepFailed(f"{run.path}: {exc}") from None
    return StepResult(output={"socialPostId": post.pk})


def _validate_update_customer(step: dict[str, Any], path: str, scope: DefinitionScope) -> Errors:
    errors = allowed_keys(step, path, {"traits"})
    if not isinstance(step.get("traits"), dict) or not step["traits"]:
        errors.append((f"{path}.traits", 'traits to set, like {"segment": "vip"}'))
    return errors + reference_errors(step.get("traits", {}), f"{path}.traits", scope)


@step_type("updateCustomer", validate=_validate_update_customer, needs_subject=lambda step: True)
def update_customer(run: StepRun) -> StepResult:
    """Set traits on the execution's customer (null removes one)."""
    customer = customer_of(run)
    if customer is None:
        raise StepFailed(f'no customer with site user id "{run.context.get("userId")}"')
    traits = dict(customer.traits)
    for key, value in resolved(run, run.step["traits"]).items():
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
    ruleset = parse_run_rules(rules).lower(run.now)
    return evaluate(ruleset, RunContext(customer_of(run), run.context))


def _known_customers(user_ids: set[str]) -> set[str]:
    return set(
        Customer.objects.filter(external_id__in=user_ids).values_list("external_id", flat=True)
    )


rule_language(validate=_validate_rules, evaluate=_evaluate_rules)
workflow_setting("discount", validate=setting_errors, provides_namespace=True)
subject_lookup(_known_customers)
