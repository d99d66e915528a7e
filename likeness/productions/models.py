from __future__ import annotations

from django.db import models

from likeness.common import vocabulary as vocab
from likeness.common.validators import CodeListValidator
from likeness.organisations.models import Organisation


class Production(models.Model):
    title = models.CharField(max_length=300)
    studio = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="productions")
    agreement = models.CharField(max_length=40, choices=[(a.value, a.value) for a in vocab.Agreement],
                                 default=vocab.Agreement.NONE)
    jurisdictions = models.JSONField(default=list, blank=True, validators=[CodeListValidator("place")])
    release_territories = models.JSONField(default=list, blank=True, validators=[CodeListValidator("territory")])
    release_media = models.JSONField(default=list, blank=True, validators=[CodeListValidator("medium")])
    labour_action = models.BooleanField(default=False, help_text="Set while performers strike this production")
    labour_action_since = models.DateTimeField(null=True, blank=True)
    extra_rule_packs = models.JSONField(default=list, blank=True,
                                        help_text="Selectable rule packs that are off by default, e.g. US-NOFAKES")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title"]
        constraints = [models.UniqueConstraint(fields=["studio", "title"], name="production_unique_title")]

    def __str__(self) -> str:
        return self.title
