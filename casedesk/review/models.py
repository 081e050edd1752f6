"""Commissions, their sessions and agendas, members' votes and signed decisions."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from casedesk.cases.workflow import DecisionOutcome
from casedesk.core.crypto import key_new
from casedesk.core.fields import DataKeyField, EncryptedTextField
from casedesk.core.models import WriteOnce


class Commission(models.Model):
    office = models.ForeignKey("accounts.Office", on_delete=models.PROTECT,
                               related_name="commissions", verbose_name=_("office"))
    name_ru = models.CharField(_("name (Russian)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, through="CommissionMember",
                                     related_name="commissions")
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("commission")
        verbose_name_plural = _("commissions")

    def __str__(self) -> str:
        return self.name_ru


class CommissionMember(models.Model):
    commission = models.ForeignKey(Commission, on_delete=models.CASCADE,
                                   related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    is_chair = models.BooleanField(_("chair"), default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["commission", "user"],
                                               name="commission_member_once"),
                       # One chair at most; the admin requires exactly one.
                       models.UniqueConstraint(fields=["commission"],
                                               condition=models.Q(is_chair=True),
                                               name="commission_one_chair")]
        verbose_name = _("member")
        verbose_name_plural = _("members")

    def __str__(self) -> str:
        return f"{self.commission_id}: {self.user_id}"


class ReferralStatus(models.TextChoices):
    PENDING = "pending", _("waiting for a session")
    SCHEDULED = "scheduled", _("on an agenda")
    DECIDED = "decided", _("decided")
    RETURNED = "returned", _("returned for more information")


class Referral(models.Model):
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="referrals")
    commission = models.ForeignKey(Commission, on_delete=models.PROTECT,
                                   related_name="referrals")
    # Encrypted with the service member's data key, like every free text of a case.
    summary = EncryptedTextField(_("summary"))
    question = EncryptedTextField(_("question to decide"))
    documents = models.ManyToManyField("cases.Document", blank=True,
                                       verbose_name=_("documents that matter"))
    referred_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, related_name="+")
    referred_at = models.DateTimeField(_("referred"))
    status = models.CharField(max_length=20, choices=ReferralStatus.choices,
                              default=ReferralStatus.PENDING)

    class Meta:
        ordering = ["referred_at"]
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")

    def __str__(self) -> str:
        return f"referral {self.pk}"

    def data_key_id(self) -> str:
        return self.case.service_member.data_key_id()



class Session(models.Model):
    commission = models.ForeignKey(Commission, on_delete=models.PROTECT,
                                   related_name="sessions")
    starts_at = models.DateTimeField(_("session date"))
    place = models.CharField(_("place"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, related_name="+")

    class Meta:
        ordering = ["-starts_at"]
        verbose_name = _("session")
        verbose_name_plural = _("sessions")

    def __str__(self) -> str:
        return f"session {self.pk}"


class SessionMove(models.Model):
    """A session moved to another date or time: from when to when, by whom, and why.

    The reason is free text that may name people, so it is encrypted, under a key of its
    own (a session belongs to no one person)."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="moves")
    moved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                 null=True, related_name="+")
    moved_at = models.DateTimeField(_("moved"))
    from_starts_at = models.DateTimeField(_("previous date"))
    to_starts_at = models.DateTimeField(_("new date"))
    key_id = DataKeyField(db_index=False)
    reason = EncryptedTextField(_("reason"))

    class Meta:
        ordering = ["moved_at", "id"]
        verbose_name = _("session moved")
        verbose_name_plural = _("sessions moved")

    def __str__(self) -> str:
        return f"move {self.pk}"

    def data_key_id(self) -> str:
        if not self.key_id:
            self.key_id = key_new()
        return self.key_id


class AgendaItem(models.Model):
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="items")
    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveIntegerField()

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["session", "referral"],
                                               name="agenda_referral_once")]

    def __str__(self) -> str:
        return f"item {self.pk}"


class VoteChoice(models.TextChoices):
    UPHOLD = "uphold", _("uphold")
    PARTLY_UPHOLD = "partly_uphold", _("partly uphold")
    REJECT = "reject", _("reject")
    REQUEST_INFORMATION = "request_information", _("request more information")
    RECUSE = "recuse", _("recuse myself")


class Vote(models.Model):
    item = models.ForeignKey(AgendaItem, on_delete=models.CASCADE, related_name="votes")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    choice = models.CharField(_("vote"), max_length=30, choices=VoteChoice.choices)
    reason = EncryptedTextField(_("reason"))
    cast_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["item", "member"],
                                               name="one_vote_per_member")]

    def __str__(self) -> str:
        return f"vote {self.pk}"

    def data_key_id(self) -> str:
        return self.item.referral.case.service_member.data_key_id()



class Decision(WriteOnce):
    """A signed decision: never changed; a correction is a new decision that points to it."""

    write_once_message = "a signed decision cannot be changed; record a correction"

    item = models.ForeignKey(AgendaItem, on_delete=models.PROTECT, related_name="decisions")
    outcome = models.CharField(_("outcome"), max_length=30, choices=DecisionOutcome.choices)
    reasoning = EncryptedTextField(_("reasoning"))
    tally = models.JSONField(default=dict)
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  related_name="+")
    signed_at = models.DateTimeField(_("signed"))
    corrects = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="corrected_by")

    class Meta:
        ordering = ["signed_at", "id"]
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")

    def __str__(self) -> str:
        return f"decision {self.pk}"

    def data_key_id(self) -> str:
        return self.item.referral.case.service_member.data_key_id()


