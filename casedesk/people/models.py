from django.db import models
from django.utils.translation import gettext_lazy as _


class ServiceType(models.TextChoices):
    MOBILIZED = "mobilized", _("mobilized")
    CONTRACT = "contract", _("contract soldier")
    CONSCRIPT = "conscript", _("conscript")
    VOLUNTEER = "volunteer", _("volunteer")
    UNKNOWN = "unknown", _("unknown")


class Person(models.Model):
    """An applicant or a service member (or both). Every field but the ids is personal data
    (encryption at rest and blind indexes are planned with the security baseline)."""

    full_name = models.CharField(_("full name"), max_length=300)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    postal_address = models.TextField(_("postal address"), blank=True)
    # Service details; empty for an applicant who is not a service member.
    service_type = models.CharField(
        _("service type"), max_length=20, choices=ServiceType.choices, blank=True
    )
    unit = models.CharField(_("military unit"), max_length=100, blank=True)
    region = models.ForeignKey(
        "core.Region", verbose_name=_("region"), on_delete=models.PROTECT, null=True, blank=True
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        indexes = [models.Index(fields=["full_name", "birth_date"], name="person_name_birth")]

    def __str__(self) -> str:
        return f"#{self.pk}"
