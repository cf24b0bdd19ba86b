"""The seed's two example workflows, exactly as the seed writes them, for `make run`
(and for the tests that post them to the API byte for byte)."""

from __future__ import annotations

import json
from collections.abc import Callable

from benchbarrier.demo import demo_loader
from benchbarrier.services.audit import Actor
from workflows.models import Workflow
from workflows.services import save_workflow

ABANDONED_CART = """{
  "name": "Abandoned Cart Recovery",
  "triggerType": "event",
  "triggerConfig": {
    "event": "cart.abandoned"
  },
  "steps": [
    {
      "type": "wait",
      "duration": "1h"
    },
    {
      "type": "sendEmail",
      "template": "abandoned-cart-reminder",
      "variables": ["cart.items", "cart.total"]
    },
    {
      "type": "wait",
      "duration": "24h"
    },
    {
      "type": "condition",
      "check": "cart.stillAbandoned",
      "ifTrue": [
        {
          "type": "sendEmail",
          "template": "abandoned-cart-discount",
          "variables": ["discount.code"]
        }
      ]
    }
  ]
}"""

ONBOARDING = """{
  "name": "Customer Onboarding Sequence",
  "triggerType": "event",
  "triggerConfig": {
    "event": "user.created"
  },
  "steps": [
    {
      "type": "sendEmail",
      "template": "welcome",
      "delay": "immediate"
    },
    {
      "type": "wait",
      "duration": "3d"
    },
    {
      "type": "sendEmail",
      "template": "getting-started-tips"
    },
    {
      "type": "wait",
      "duration": "7d"
    },
    {
      "type": "condition",
      "check": "user.hasOrdered",
      "ifFalse": [
        {
          "type": "sendEmail",
          "template": "first-order-discount"
        }
      ]
    }
  ]
}"""

SEED_BODIES = {
    "Abandoned Cart Recovery": ABANDONED_CART,
    "Customer Onboarding Sequence": ONBOARDING,
}
SEED_WORKFLOWS = [json.loads(body) for body in SEED_BODIES.values()]


def seed_fields(name: str) -> dict:
    """One of the seed's workflows as model fields."""
    seed = json.loads(SEED_BODIES[name])
    return {
        "name": seed["name"],
        "trigger_type": seed["triggerType"],
        "trigger_config": seed["triggerConfig"],
        "steps": seed["steps"],
    }


@demo_loader("workflows: the seed's abandoned cart and onboarding workflows")
def load(out: Callable[[str], None]) -> None:
    for name in SEED_BODIES:
        if not Workflow.objects.filter(name=name).exists():
            save_workflow(actor=Actor.system("demo"), **seed_fields(name))
            out(f"  {name}")
