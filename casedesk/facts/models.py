from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from casedesk.core.fields import EncryptedCharField


class FactType(models.TextChoices):
    PER = "PER", pgettext_lazy("fact kind", "person")
    LOC = "LOC", pgettext_lazy("fact kind", "place")
    ORG = "ORG", pgettext_lazy("fact kind", "organisation")
    UNIT = "UNIT", pgettext_lazy("fact kind", "military unit")
    RANK = "RANK", pgettext_lazy("fact kind", "rank")
    DATE = "DATE", pgettext_lazy("fact kind", "date")
    MONEY = "MONEY", pgettext_lazy("fact kind", "sum of money")
    FITNESS = "FITNESS", pgettext_lazy("fact kind", "fitness category")
    LAW = "LAW", pgettext_lazy("fact kind", "law cited")


class Fact(models.Model):
    """One fact found in the text of an appeal (casedesk.facts.extract): where it is in
    the text (character offsets), what kind, and its words and normal form.

    The words and the normal form are personal data (a unit, a name, a diagnosis date):
    encrypted with the data key of the case's service member, like the case's notes, so
    erasing the service member (people.lifecycle.erasure) makes them unreadable; the
    erasure then deletes the rows, and those of appeals the erased person wrote."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="facts")
    appeal = models.ForeignKey("cases.Appeal", on_delete=models.CASCADE, related_name="facts")
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    type = models.CharField(_("kind"), max_length=8, choices=FactType.choices)
    text = EncryptedCharField(_("words"), max_length=1000)
    normal = EncryptedCharField(_("normal form"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["appeal_id", "start"]
        verbose_name = _("fact from the text")
        verbose_name_plural = _("facts from the text")

    def __str__(self) -> str:
        return f"{self.appeal_id}: {self.type} {self.start}-{self.end}"

    def data_key_id(self) -> str:
        return self.case.service_member.data_key_id()
