"""Decisions: the immutable record of one gate evaluation."""
from __future__ import annotations

import uuid
from typing import Any, cast

from django.conf import settings
from django.db import models

from likeness.policy.outcomes import Outcome


class DecisionPurpose(models.TextChoices):
    WHAT_IF = "what_if", "What-if (pre-flight)"
    SUBMIT = "submit", "Job submitted"
    CLAIM = "claim", "Worker claimed the job"
    CHUNK = "chunk", "Re-check between chunks"
    RELEASE = "release", "Before signing and release"


class Decision(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    purpose = models.CharField(max_length=20, choices=DecisionPurpose.choices)
    performer = models.ForeignKey("people.Performer", on_delete=models.PROTECT, related_name="decisions")
    production = models.ForeignKey("productions.Production", on_delete=models.PROTECT, related_name="decisions")
    use = models.CharField(max_length=40)
    outcome = models.CharField(max_length=30, choices=[(o.value, o.value) for o in Outcome], db_index=True)
    explanation = models.TextField()
    lines = models.JSONField()
    obligations = models.JSONField(default=list)
    regimes = models.JSONField(default=list)
    rule_pack_versions = models.JSONField()
    nearest_grant = models.JSONField(null=True, blank=True)
    request = models.JSONField()
    # Snapshot of every fact the gate saw (contains confidential terms: never shown to VFX staff). A re-check
    # that saw exactly the facts of an earlier decision (a running job's check between chunks) stores none and
    # points at the decision holding them: `facts_snapshot` reads either way.
    facts = models.JSONField()
    facts_sha256 = models.CharField(max_length=64, blank=True, db_index=True)
    facts_from = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    inputs_sha256 = models.CharField(max_length=64, db_index=True)
    grants = models.ManyToManyField("consent.ConsentGrant", related_name="decisions", blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.outcome} {self.use} ({self.created_at:%Y-%m-%d %H:%M})"

    @property
    def facts_snapshot(self) -> dict[str, Any]:
        source = self.facts_from if self.facts_from is not None else self
        return cast(dict[str, Any], source.facts)

    @property
    def allowed(self) -> bool:
        return Outcome(self.outcome).permits

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise PermissionError("decisions are immutable")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError("decisions are immutable")
