"""The case states: shared vocabulary of the workflow, the rulebook and the statistics."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class CaseState(models.TextChoices):
    RECEIVED = "received", _("received")
    REGISTERED = "registered", _("registered")
    IN_REVIEW = "in_review", _("under review")
    AWAITING_INFORMATION = "awaiting_information", _("awaiting information")
    REFERRED_TO_COMMISSION = "referred_to_commission", _("referred to the commission")
    COMMISSION_DECIDED = "commission_decided", _("decided by the commission")
    ANSWERED = "answered", _("answered")
    CLOSED = "closed", _("closed")
    FORWARDED = "forwarded", _("forwarded to the competent body")
    WITHDRAWN = "withdrawn", _("withdrawn")
    LEFT_UNANSWERED = "left_unanswered", _("left unanswered")


# States in which the office still owes the applicant something.
OPEN_STATES = frozenset(
    {
        CaseState.RECEIVED,
        CaseState.REGISTERED,
        CaseState.IN_REVIEW,
        CaseState.AWAITING_INFORMATION,
        CaseState.REFERRED_TO_COMMISSION,
        CaseState.COMMISSION_DECIDED,
    }
)
