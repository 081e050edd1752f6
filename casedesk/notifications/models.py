"""What needs a member of staff's attention, and the daily digests sent to them.

Rows hold ids and codes only (a user, a case, the event that caused it, a kind): nothing
personal, so nothing here is encrypted.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AttentionKind(models.TextChoices):
    ANSWERED = "answered", _("the applicant answered")
    DOCUMENT = "document", _("a document arrived")
    ASSIGNED = "assigned", _("assigned to you")
    DUE_SOON = "due_soon", _("deadline due soon")
    OVERDUE = "overdue", _("deadline overdue")
    DECISION = "decision", _("commission decision signed")


class Attention(models.Model):
    """One item for one person: ``event`` of ``case`` needs ``user``'s attention. Written in
    the transaction of the event (``attention.on_case_event``); seen when the person opens
    the case."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="+")
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+",
                             db_index=False)
    event = models.ForeignKey("cases.CaseEvent", on_delete=models.CASCADE, related_name="+",
                              db_index=False)
    kind = models.CharField(_("kind"), max_length=20, choices=AttentionKind.choices)
    at = models.DateTimeField(_("when"))
    seen_at = models.DateTimeField(_("seen by the person"), null=True, blank=True)

    class Meta:
        verbose_name = _("attention item")
        verbose_name_plural = _("attention items")
        constraints = [
            models.UniqueConstraint(fields=["user", "event"], name="attention_once"),
        ]
        indexes = [
            # The header's count, the queue's markers and "seen" on opening a case read
            # only the unseen rows of one user (and one case): a small partial index.
            models.Index(fields=["user", "case"], condition=models.Q(seen_at__isnull=True),
                         name="attention_unseen"),
            # Deleting a case's events (never done today) without a scan.
            models.Index(fields=["event"], name="attention_event"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}/{self.case_id}: {self.kind}"


class DigestSent(models.Model):
    """A daily digest went to ``user`` for ``day``: the command sends at most one a day."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="+")
    day = models.DateField(_("day"))
    items = models.PositiveIntegerField(_("cases listed"), default=0)
    sent_at = models.DateTimeField(_("digest sent at"), auto_now_add=True)

    class Meta:
        verbose_name = _("digest sent")
        verbose_name_plural = _("digests sent")
        constraints = [models.UniqueConstraint(fields=["user", "day"], name="digest_once")]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.day}"
