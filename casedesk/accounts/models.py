from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from .roles import Role


class Office(models.Model):
    """An office that receives appeals; case numbers start with its code."""

    code = models.CharField(
        _("code"),
        max_length=8,
        unique=True,
        help_text=_("Two to eight capital Latin letters, the prefix of case numbers."),
    )
    name_ru = models.CharField(_("name (Russian)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    region = models.ForeignKey(
        "core.Region", verbose_name=_("region"), on_delete=models.PROTECT, null=True, blank=True
    )
    procedure = models.CharField(
        _("procedure"),
        max_length=50,
        default="appeal_59fz",
        help_text=_("The rulebook procedure whose deadlines apply to this office's cases."),
    )
    timezone = models.CharField(_("time zone"), max_length=50, default="Europe/Moscow")
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("office")
        verbose_name_plural = _("offices")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(code__regex=r"^[A-Z]{2,8}$"), name="office_code_format"
            )
        ]

    def __str__(self) -> str:
        return f"{self.code}: {self.name_ru}"


class User(AbstractUser):
    """A member of staff. One role; one or more offices."""

    role = models.CharField(_("role"), max_length=30, choices=Role.choices, default=Role.CASEWORKER)
    offices = models.ManyToManyField(Office, verbose_name=_("offices"), blank=True,
                                     related_name="staff")

    class Meta(AbstractUser.Meta):
        verbose_name = _("staff member")
        verbose_name_plural = _("staff members")
