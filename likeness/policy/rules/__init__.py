"""The rule registry: importing this package registers every rule. The catalogue in docs/rules.md is
generated from it (`manage.py rules_doc`)."""
from __future__ import annotations

from likeness.policy.rules import law, platform, union  # noqa: F401  (registration side effect)
from likeness.policy.rules.base import REGISTRY, Rule, RuleContext

__all__ = ["REGISTRY", "Rule", "RuleContext"]
