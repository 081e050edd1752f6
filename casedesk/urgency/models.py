"""The urgency flag of a case: set in the background by ``services.cases_evaluate`` from
the rulebook's rules (urgency.yaml), cleared by staff ("Not urgent")."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from casedesk.core.fields import EncryptedJSONField


class UrgencyFlag(models.Model):
    """One row per case an urgency rule matched. Which rules matched is itself sensitive
    (a rule code such as "suicide" is health information), so the codes are sealed under
    the service member's key (``reasons = {"codes": [...]}``; erasure blanks them); the
    queues and counts read only ``urgent``, which says nothing of why.

    ``urgent`` is true while the flag stands; staff clearing it ("Not urgent") sets it
    false with who and when. A later appeal that matches again sets it true again."""

    case = models.OneToOneField("cases.Case", on_delete=models.CASCADE,
                                related_name="urgency_flag")
    urgent = models.BooleanField(default=True)
    reasons = EncryptedJSONField(_("reasons"))
    rulebook_version = models.CharField(max_length=20)
    set_at = models.DateTimeField(default=timezone.now)
    cleared_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+")
    cleared_at = models.DateTimeField(null=True, blank=True)
    # Whether the case is open (core.states.OPEN_STATES): kept by the database
    # (urgency.0002_flag_open: triggers on the flags and on the cases' state, whatever
    # writes them; on SQLite it stays true). The "urgent only" queue and the urgent counts
    # start from the open standing flags, a few hundred at 1M cases, where the flags of
    # closed cases pile up with the years and PostgreSQL joined them to every case.
    open = models.BooleanField(default=True, db_default=True)

    class Meta:
        # The queues' marker and the dashboard's count read the standing flags only.
        indexes = [models.Index(fields=["case"], condition=models.Q(urgent=True),
                                name="urgency_flag_standing"),
                   models.Index(fields=["case"], condition=models.Q(urgent=True, open=True),
                                name="urgency_flag_open")]

    def __str__(self) -> str:
        return f"urgency flag {self.pk}"

    def data_key_id(self) -> str:
        return self.case.service_member.data_key_id()

    @property
    def codes(self) -> list[str]:
        return list((self.reasons or {}).get("codes") or [])
