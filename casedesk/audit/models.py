from django.db import models
from django.utils.translation import gettext_lazy as _

from casedesk.core.models import WriteOnce


class ActorKind(models.TextChoices):
    STAFF = "staff", _("staff member")
    APPLICANT = "applicant", _("applicant")
    SYSTEM = "system", _("system")
    ANONYMOUS = "anonymous", _("anonymous")
    # a management command run by a named operator (``operator.command_operator``)
    COMMAND = "command", _("command operator")


class AuditEntry(WriteOnce):
    """One audited event. Written only by ``services.audit_record``; never changed.

    ``hash`` is, for ``hash_version`` 2, HMAC-SHA256 under a key kept outside the
    database (``keys.chain_key``) and, for entries written before (version 1), SHA-256,
    over the canonical JSON of every other field plus ``prev_hash``
    (``services.entry_hash``); ``prev_hash`` is the previous entry's ``hash``, so
    editing, deleting or reordering rows breaks the chain (``selectors.verify_chain``).
    On PostgreSQL the table refuses UPDATE, DELETE and TRUNCATE (``db.py``).
    ``actor_id`` is a plain integer, not a foreign key: deleting a user must never
    rewrite history. ``data`` holds codes and ids only.
    """

    write_once_message = "audit entries are never changed"

    seq = models.BigIntegerField(_("sequence"), primary_key=True)
    at = models.DateTimeField(_("at"))
    actor_id = models.BigIntegerField(_("actor id"), null=True, blank=True)
    actor_kind = models.CharField(_("actor kind"), max_length=10, choices=ActorKind.choices)
    action = models.CharField(_("action"), max_length=40)
    object_type = models.CharField(_("object type"), max_length=40, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    ip = models.CharField(_("IP address"), max_length=45, blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)
    prev_hash = models.CharField(_("previous hash"), max_length=64)
    hash = models.CharField(_("hash"), max_length=64)  # unique: Meta.constraints
    hash_version = models.PositiveSmallIntegerField(_("hash version"))

    class Meta:
        ordering = ["seq"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        indexes = [
            models.Index(fields=["object_type", "object_id", "seq"], name="audit_object_idx"),
            models.Index(fields=["actor_id", "seq"], name="audit_actor_idx"),
        ]
        # A constraint, not unique=True: that would add a LIKE index no query uses.
        constraints = [models.UniqueConstraint(fields=["hash"], name="audit_hash_unique")]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action}"

    def delete(self, *args, **kwargs):
        raise ValueError("audit entries are never deleted")
