from django.db import models


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
