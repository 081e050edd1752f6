"""Category suggestions (issue 19): the trained models, the suggestions for each new case
and the decisions staff took on them (the training data of the next model)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from casedesk.core.fields import EncryptedJSONField


class Source(models.TextChoices):
    MODEL = "model", _("model")
    RULES = "rules", _("rules from the rulebook")


class TriageModel(models.Model):
    """A classifier trained on one rulebook version's confirmed cases. ``blob`` is the
    pickled classifier (joblib) sealed with ``key_id``, a data key of its own in the key
    store (core.crypto): its vocabulary holds words of appeals (docs/security.md)."""

    rulebook_version = models.CharField(max_length=20)
    trained_at = models.DateTimeField()
    examples = models.PositiveIntegerField()
    classes = models.JSONField(default=list)  # category codes
    metrics = models.JSONField(default=dict)  # figures only (counts, accuracy)
    key_id = models.CharField(max_length=32)
    blob = models.BinaryField()

    class Meta:
        ordering = ["-trained_at", "-id"]
        indexes = [models.Index(fields=["rulebook_version", "-trained_at"],
                                name="triage_model_version")]

    def __str__(self) -> str:
        return f"{self.rulebook_version} {self.trained_at:%Y-%m-%d}"


class Suggestion(models.Model):
    """One of the top categories suggested for a case. ``reasons`` are words of the
    appeal's text, sealed with the service member's data key (erasure blanks them)."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE,
                             related_name="triage_suggestions")
    rank = models.PositiveSmallIntegerField()
    category = models.CharField(max_length=50)
    subcategory = models.CharField(max_length=50, blank=True)
    score = models.FloatField()
    reasons = EncryptedJSONField()
    source = models.CharField(max_length=10, choices=Source.choices)
    model = models.ForeignKey(TriageModel, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["case", "rank"]
        constraints = [models.UniqueConstraint(fields=["case", "rank"],
                                               name="triage_suggestion_case_rank")]

    def __str__(self) -> str:
        return f"{self.case_id}#{self.rank} {self.category}"

    def data_key_id(self) -> str:
        return self.case.service_member.data_key_id()


class Decision(models.Model):
    """What a person decided about a case's category after its suggestions: the rank of
    the suggestion accepted, or none when they chose another category. Training data."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE,
                             related_name="triage_decisions")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                              null=True, related_name="+")
    at = models.DateTimeField()
    accepted_rank = models.PositiveSmallIntegerField(null=True, blank=True)
    category = models.CharField(max_length=50)
    subcategory = models.CharField(max_length=50, blank=True)
    rulebook_version = models.CharField(max_length=20)

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["rulebook_version", "case"],
                                name="triage_decision_version")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.category}"
