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
    # Who the public writes to: shown on the portal, the receipt and the letterhead.
    address_ru = models.TextField(_("postal address (Russian)"), blank=True)
    address_en = models.TextField(_("postal address (English)"), blank=True)
    phone = models.CharField(_("telephone"), max_length=50, blank=True)
    email = models.EmailField(_("email"), blank=True)
    hours_ru = models.CharField(_("opening hours (Russian)"), max_length=200, blank=True)
    hours_en = models.CharField(_("opening hours (English)"), max_length=200, blank=True)
    controller_ru = models.TextField(
        _("data controller (Russian)"), blank=True,
        help_text=_("Who processes the applicants' personal data, for the consent text."))
    controller_en = models.TextField(_("data controller (English)"), blank=True)
    # Routing of public appeals (web and API) by the applicant's or member's region.
    regions = models.ManyToManyField(
        "core.Region", verbose_name=_("regions served"), blank=True, related_name="offices",
        help_text=_("Public appeals from these regions come to this office."))
    is_default = models.BooleanField(
        _("default office"), default=False,
        help_text=_("Receives the public appeals from regions no office serves."))
    answer_approval = models.BooleanField(
        _("answers need a supervisor's approval"), default=False,
        help_text=_("A second person approves every answer before it is signed."))

    class Meta:
        ordering = ["code"]
        verbose_name = _("office")
        verbose_name_plural = _("offices")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(code__regex=r"^[A-Z]{2,8}$"), name="office_code_format"
            ),
            models.UniqueConstraint(fields=["is_default"], condition=models.Q(is_default=True),
                                    name="office_one_default"),
        ]

    def __str__(self) -> str:
        return f"{self.code}: {self.name_ru}"

    def name(self, language: str) -> str:
        return self.name_en if language == "en" else self.name_ru

    def address(self, language: str) -> str:
        return (self.address_en if language == "en" else self.address_ru) or self.address_ru

    def hours(self, language: str) -> str:
        return (self.hours_en if language == "en" else self.hours_ru) or self.hours_ru

    def controller(self, language: str) -> str:
        return (self.controller_en if language == "en" else self.controller_ru) \
            or self.name(language)


class RegisterDirection(models.TextChoices):
    INCOMING = "in", _("incoming")
    OUTGOING = "out", _("outgoing")


class RegisterCounter(models.Model):
    """The last number of an office's register of incoming (вх. №) or outgoing (исх. №)
    mail in a year; the row is locked to draw the next (``services.register_number_next``)."""

    office = models.ForeignKey(Office, on_delete=models.CASCADE)
    direction = models.CharField(max_length=3, choices=RegisterDirection.choices)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["office", "direction", "year"],
                                    name="register_office_direction_year")
        ]

    def __str__(self) -> str:
        return f"{self.office_id}/{self.direction}/{self.year}: {self.last}"


class User(AbstractUser):
    """A member of staff. One role; one or more offices."""

    role = models.CharField(_("role"), max_length=30, choices=Role.choices, default=Role.CASEWORKER)
    offices = models.ManyToManyField(Office, verbose_name=_("offices"), blank=True,
                                     related_name="staff")
    # Printed under the signature of letters the person signs.
    position_ru = models.CharField(_("position (Russian)"), max_length=200, blank=True)
    position_en = models.CharField(_("position (English)"), max_length=200, blank=True)
    daily_digest = models.BooleanField(
        _("daily email digest"), default=False,
        help_text=_("Once a day, an email listing what needs the person's attention."))

    def position(self, language: str) -> str:
        return (self.position_en if language == "en" else self.position_ru) or self.position_ru

    class Meta(AbstractUser.Meta):
        verbose_name = _("staff member")
        verbose_name_plural = _("staff members")
