from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PublicSubmission(models.Model):
    """One accepted submission from the public form or API, remembered so that a repeat of
    the same idempotency key returns the same answer (with the same access code)."""

    key_hash = models.CharField(max_length=64)  # keyed hash of the key; unique: Meta
    fingerprint = models.CharField(max_length=64)  # hash of what was submitted
    appeal = models.ForeignKey("cases.Appeal", on_delete=models.CASCADE)
    sealed_access_code = models.TextField()
    answer_due = models.DateField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        # A constraint, not unique=True: that would add a LIKE index no query uses.
        constraints = [models.UniqueConstraint(fields=["key_hash"], name="submission_key_once")]

    def __str__(self) -> str:
        return f"submission {self.pk}"


class ImportJob(models.Model):
    """A CSV import started in the browser (``casedesk.intake.import_jobs``): checked when
    uploaded, run by a background task, then kept as a record of what was imported.

    The file is personal data: it is stored sealed with a data key of its own and, once
    the import has ended (or the check has gone stale), the sealed file is dropped and its
    key destroyed. ``errors`` hold row, column, message code (the English message) and its
    parameters, never the content of a cell."""

    class State(models.TextChoices):
        CHECKED = "checked", _("checked, not started")
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")
        EXPIRED = "expired", _("not started in time")

    office = models.ForeignKey("accounts.Office", on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.CHECKED)
    key_id = models.CharField(max_length=32, blank=True)
    sealed = models.BinaryField(null=True, blank=True, editable=False)
    size = models.PositiveIntegerField(default=0)  # bytes of the file
    rows = models.PositiveIntegerField(default=0)  # appeal rows in the file
    new_rows = models.PositiveIntegerField(default=0)  # not imported before, at the check
    checked = models.PositiveIntegerField(default=0)  # rows checked again by the task
    imported = models.PositiveIntegerField(default=0)
    already_imported = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    failure = models.CharField(max_length=40, blank=True)  # an ApplicationError code

    class Meta:
        indexes = [models.Index(fields=["office", "-created_at"], name="intake_importjob_recent")]

    def __str__(self) -> str:
        return f"import {self.pk} ({self.state})"

    def data_key_id(self) -> str:
        return self.key_id
