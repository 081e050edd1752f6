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


class DuplicateFlag(models.Model):
    """A person who may be the service member of ``case`` under another record (issue 18,
    duplicates): found after the receipt by ``intake.services.duplicates_flag`` through
    the keyed search index (casedesk.people.duplicates), scored, never acted upon. Staff
    see it on the case page and dismiss it ("not the same person") or link the records.

    Nothing personal is stored: ids, a score, a level and reason codes."""

    class Level(models.TextChoices):
        LIKELY = "likely", _("likely the same person")
        POSSIBLE = "possible", _("possibly the same person")

    # Indexed by the constraint (case first).
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, db_index=False,
                             related_name="duplicate_flags")
    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="+")
    # The candidate's latest case in the office of ``case``, if any (shown only if the
    # reader may see it; the page lists the candidate's other cases itself).
    candidate_case = models.ForeignKey("cases.Case", on_delete=models.SET_NULL, null=True,
                                       blank=True, related_name="+")
    score = models.PositiveSmallIntegerField()
    level = models.CharField(max_length=10, choices=Level.choices)
    reasons = models.JSONField(default=list)  # codes of casedesk.people.duplicates.REASONS
    created_at = models.DateTimeField(default=timezone.now)
    dismissed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     null=True, blank=True, related_name="+")
    dismissed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "person"],
                                               name="duplicate_flag_once")]

    def __str__(self) -> str:
        return f"duplicate flag {self.pk}"
