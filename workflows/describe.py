"""Steps in words, as a nested list a marketer can read:

wait 1h → email "abandoned-cart-reminder" → wait 24h → if cart.stillAbandoned:
email "abandoned-cart-discount"
"""

from __future__ import annotations

from typing import Any

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from benchbarrier.rules import describe_rules
from workflows.registry import get_check

_BRANCH_LABELS = {
    "ifTrue": "if yes",
    "ifFalse": "if no",
    "onEvent": "when it happens",
    "onTimeout": "if it does not happen in time",
}


def step_words(step: dict[str, Any]) -> str:
    kind = step.get("type")
    if kind == "wait":
        return f"wait {step.get('duration')}"
    if kind == "sendEmail":
        delay = step.get("delay", "immediate")
        later = "" if delay == "immediate" else f" after {delay}"
        return f'email "{step.get("template")}"{later}'
    if kind == "condition":
        check = step.get("check")
        if isinstance(check, str):
            named = get_check(check)
            return f"if {check}" + (f" ({named.description})" if named else "")
        return f"if {describe_rules(check)}"
    if kind == "waitForEvent":
        match = ", ".join(step.get("match", []))
        same = f" for the same {match}" if match else ""
        return f"wait up to {step.get('timeout')} for {step.get('event')}{same}"
    if kind == "webhook":
        return f"call {step.get('url')}"
    if kind == "enqueueJob":
        return f"queue job {step.get('jobType')}"
    if kind == "updateCustomer":
        return "set traits " + ", ".join(sorted(step.get("traits", {})))
    if kind == "exit":
        return "end here"
    return str(kind)


def steps_tree(steps: list[Any], path: str = "steps", current: str = "") -> SafeString:
    """An HTML ordered list of the steps, branches nested; `current` is highlighted."""
    items = []
    for index, step in enumerate(steps if isinstance(steps, list) else []):
        here = f"{path}[{index}]"
        if not isinstance(step, dict):
            items.append(format_html("<li><code>{}</code>: not a step</li>", here))
            continue
        branches = format_html_join(
            "",
            "<div><em>{}</em>{}</div>",
            (
                (_BRANCH_LABELS.get(key, key), steps_tree(step[key], f"{here}.{key}", current))
                for key in ("ifTrue", "ifFalse", "onEvent", "onTimeout")
                if isinstance(step.get(key), list) and step[key]
            ),
        )
        mark = ' style="background:#fff3c4"' if here == current else ""
        items.append(
            format_html(
                '<li{}><span title="{}">{}</span>{}</li>',
                SafeString(mark),
                here,
                step_words(step),
                branches,
            )
        )
    return format_html('<ol class="workflow-steps">{}</ol>', SafeString("".join(items)))
