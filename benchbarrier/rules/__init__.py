"""One rule language for segments (SQL) and workflow conditions (Python).

ruleset = parse_rules(data, catalogue)      # raises RuleError naming each bad rule
node = ruleset.lower(clock.now())            # relative times resolved
Customer.objects.filter(to_q(node, catalogue))
to_predicate(node)(context)                  # the same answer, in Python
"""

from __future__ import annotations

from benchbarrier.rules.describe import describe_rules
from benchbarrier.rules.fields import Catalogue, FieldSpec, Kind
from benchbarrier.rules.syntax import OPERATORS, RuleError, RuleSet, parse_rules
from benchbarrier.rules.to_predicate import RuleContext, evaluate, json_value, to_predicate
from benchbarrier.rules.to_q import to_q

__all__ = [
    "OPERATORS",
    "Catalogue",
    "FieldSpec",
    "Kind",
    "RuleContext",
    "RuleError",
    "RuleSet",
    "describe_rules",
    "evaluate",
    "json_value",
    "parse_rules",
    "to_predicate",
    "to_q",
]
