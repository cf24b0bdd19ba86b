"""The seed's two example workflows, for `make run`."""

from __future__ import annotations

from collections.abc import Callable

from benchbarrier.demo import demo_loader
from benchbarrier.services.audit import Actor
from workflows.models import Workflow
from workflows.services import save_workflow

SEED_WORKFLOWS = [
    {
        "name": "Abandoned Cart Recovery",
        "description": "Remind after an hour; a day later, a discount if the cart is still there.",
        "triggerType": "event",
        "triggerConfig": {"event": "cart.abandoned"},
        "steps": [
            {"type": "wait", "duration": "1h"},
            {
                "type": "sendEmail",
                "template": "abandoned-cart-reminder",
                "variables": {"cart": "{{ trigger }}"},
            },
            {"type": "wait", "duration": "24h"},
            {
                "type": "condition",
                "check": "cart.stillAbandoned",
                "ifTrue": [
                    {
                        "type": "sendEmail",
                        "template": "abandoned-cart-discount",
                        "variables": {
                            "cart": "{{ trigger }}",
                            "discount": {
                                "code": "COMEBACK10",
                                "percent": 10,
                                "expires": "in 48 hours",
                            },
                        },
                    },
                ],
            },
        ],
        "exitEvents": [{"event": "order.completed", "match": ["cartId"]}],
    },
    {
        "name": "Customer Onboarding Sequence",
        "description": "Welcome now, tips after 3 days, a first-order discount after a week.",
        "triggerType": "event",
        "triggerConfig": {"event": "user.created"},
        "steps": [
            {"type": "sendEmail", "template": "welcome", "delay": "immediate"},
            {"type": "wait", "duration": "3d"},
            {"type": "sendEmail", "template": "getting-started-tips"},
            {"type": "wait", "duration": "4d"},
            {
                "type": "condition",
                "check": "user.hasOrdered",
                "ifFalse": [
                    {
                        "type": "sendEmail",
                        "template": "first-order-discount",
                        "variables": {"discount": {"code": "WELCOME15", "percent": 15}},
                    },
                ],
            },
        ],
    },
]


def seed_fields(seed: dict) -> dict:
    """The seed's camelCase shape as model fields."""
    return {
        "name": seed["name"],
        "description": seed.get("description", ""),
        "trigger_type": seed["triggerType"],
        "trigger_config": seed.get("triggerConfig", {}),
        "steps": seed["steps"],
        "exit_events": seed.get("exitEvents", []),
    }


@demo_loader("workflows: the seed's abandoned cart and onboarding workflows")
def load(out: Callable[[str], None]) -> None:
    for seed in SEED_WORKFLOWS:
        if not Workflow.objects.filter(name=seed["name"]).exists():
            save_workflow(actor=Actor.system("demo"), **seed_fields(seed))
            out(f"  {seed['name']}")
