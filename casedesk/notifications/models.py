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


class OutboxState(models.TextChoices):
    PENDING = "pending", _("waiting to be sent")
    SENT = "sent", _("sent")
    FAILED = "failed", _("given up")


class Outbox(models.Model):
    """A notice the law or the receipt promises the applicant, written in the transaction
    of the change that owes it (``outbox.on_*``), sent at least once by the worker
    (``outbox.outbox_send``). ``key`` is unique: the same notice is never recorded twice,
    and a row that was sent is never sent again.

    Nothing personal in plaintext: ids, codes and counters; the address is decrypted
    from the case when the row is sent. ``sealed`` is the access code sealed with the
    server's key (the acknowledgement and a recovered code carry it), blanked when the
    row is sent or given up."""

    kind = models.CharField(_("kind"), max_length=40)
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+",
                             db_index=False)
    target_ids = models.JSONField(_("ids of what caused it"), default=list, blank=True)
    key = models.CharField(_("idempotency key"), max_length=120, unique=True)
    sealed = models.TextField(_("sealed access code"), blank=True, default="")
    state = models.CharField(_("state"), max_length=10, choices=OutboxState.choices,
                             default=OutboxState.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    next_attempt_at = models.DateTimeField(_("next attempt at"))
    # A worker that took the row holds it until then; a worker killed while sending
    # leaves it to be taken again after that.
    claimed_until = models.DateTimeField(_("claimed until"), null=True, blank=True)
    claimed_by = models.CharField(_("claimed by"), max_length=100, blank=True, default="")
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    # An error class name or a code ("no_address"), never the error's text (an SMTP
    # error quotes the address).
    last_error = models.CharField(_("last error"), max_length=100, blank=True, default="")

    class Meta:
        verbose_name = _("notice to send")
        verbose_name_plural = _("notices to send")
        indexes = [
            # The sender and the health check read only the rows still to send.
            models.Index(fields=["next_attempt_at"],
                         condition=models.Q(state="pending"), name="outbox_due"),
            models.Index(fields=["case"], name="outbox_case"),
        ]

    def __str__(self) -> str:
        return f"{self.key}: {self.state}"


class Heartbeat(models.Model):
    """The last beat of each worker (``manage.py worker``), read by ``/health/``."""

    name = models.CharField(_("worker"), max_length=100, unique=True)
    beat_at = models.DateTimeField(_("last beat"))

    class Meta:
        verbose_name = _("worker heartbeat")
        verbose_name_plural = _("worker heartbeats")

    def __str__(self) -> str:
        return f"{self.name}: {self.beat_at}"
