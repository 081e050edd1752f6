import time
from base64 import b32encode
from binascii import unhexlify
from urllib.parse import quote, urlencode

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device, ThrottlingMixin, TimestampMixin
from django_otp.oath import TOTP
from django_otp.util import random_hex

from casedesk.core import crypto
from casedesk.core.fields import EncryptedCharField

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
    # A regional commissioner's procedure rests on 48-FZ and the region's own law: the
    # rulebook names 48-FZ, the office names its law here, and letters cite both.
    regional_law = models.CharField(
        _("regional law"), max_length=300, blank=True,
        help_text=_("For a regional commissioner: the region's law on the commissioner, as "
                    "letters cite it (title, date and number, in Russian)."))
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
    # The language of the emails the account's owner gets about it (a password reset).
    language = models.CharField(_("language"), max_length=8, blank=True,
                                choices=settings.LANGUAGES)

    def position(self, language: str) -> str:
        return (self.position_en if language == "en" else self.position_ru) or self.position_ru

    class Meta(AbstractUser.Meta):
        verbose_name = _("staff member")
        verbose_name_plural = _("staff members")


# --- the second factor, its enrolment and password resets (issue 15, findings 1 and 5) ----


class SecondFactorDevice(TimestampMixin, ThrottlingMixin, Device):
    """A person's TOTP authenticator (django-otp finds it as a ``Device``). Unlike
    django-otp's own ``TOTPDevice``, whose hex secret sits in the database in clear, the
    secret is sealed (AES-256-GCM, ``core.crypto``) under a data key of its own, kept
    wrapped in the key store: a copy of the data database, or whoever reads its tables,
    cannot compute anyone's codes. Deleting the device destroys that key."""

    key_id = models.CharField(max_length=32, editable=False, blank=True)
    secret = EncryptedCharField(max_length=80, editable=False)  # hex, as django-otp's key
    step = models.PositiveSmallIntegerField(default=30)
    t0 = models.BigIntegerField(default=0)
    digits = models.PositiveSmallIntegerField(choices=[(6, 6), (8, 8)], default=6)
    tolerance = models.PositiveSmallIntegerField(default=1)
    drift = models.SmallIntegerField(default=0)
    last_t = models.BigIntegerField(default=-1)

    class Meta(Device.Meta):
        verbose_name = _("authenticator")
        verbose_name_plural = _("authenticators")

    def data_key_id(self) -> str:
        if not self.key_id:
            self.key_id = crypto.key_new()
        return self.key_id

    def save(self, *args, **kwargs):
        if not self.secret:
            self.secret = random_hex(20)
        self.data_key_id()  # the key exists before the secret is sealed with it
        super().save(*args, **kwargs)

    @property
    def bin_key(self) -> bytes:
        return unhexlify(self.secret.encode())

    # The same checks as django_otp.plugins.otp_totp.models.TOTPDevice.verify_token.
    def verify_token(self, token) -> bool:
        if not self.verify_is_allowed()[0] or not self.secret:
            return False  # throttled, or the secret's key is gone: never an empty key
        try:
            token = int(token)
        except (TypeError, ValueError):
            verified = False
        else:
            totp = TOTP(self.bin_key, self.step, self.t0, self.digits, self.drift)
            totp.time = time.time()
            verified = totp.verify(token, self.tolerance, self.last_t + 1)
            if verified:
                self.last_t = totp.t()
                self.drift = totp.drift
                self.throttle_reset(commit=False)
                self.set_last_used_timestamp(commit=False)
                self.save()
        if not verified:
            self.throttle_increment(commit=True)
        return verified

    def get_throttle_factor(self) -> int:
        return settings.OTP_TOTP_THROTTLE_FACTOR

    @property
    def config_url(self) -> str:
        """The ``otpauth://`` URI an authenticator app scans (Key Uri Format)."""
        issuer = settings.OTP_TOTP_ISSUER.replace(":", "")
        label = str(self.user.get_username())
        params = urlencode({"secret": b32encode(self.bin_key), "algorithm": "SHA1",
                            "digits": self.digits, "period": self.step})
        if issuer:
            label = f"{issuer}:{label}"
            params += f"&issuer={quote(issuer)}"
        return f"otpauth://totp/{quote(label)}?{params}"


class EnrolmentCode(models.Model):
    """A one-time code an administrator gives a person out of band (in person, by
    telephone) so that they can enrol an authenticator: the password alone cannot.
    Stored as a keyed hash only; valid until ``expires_at``, once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="enrolment_codes")
    code_hash = models.CharField(max_length=64, unique=True)
    issued_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True,
                                  related_name="+")
    issued_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "used_at"])]

    def __str__(self) -> str:
        return f"{self.user_id} ({self.issued_at:%Y-%m-%d %H:%M})"


class PasswordResetRequest(models.Model):
    """An administrator's new password for another person's account, waiting for a
    second administrator's approval; only then is it set (``services``). Holds the new
    password's hash, never the password."""

    user = models.ForeignKey(User, verbose_name=_("account"), on_delete=models.CASCADE,
                             related_name="password_resets")
    password_hash = models.CharField(max_length=256, editable=False)
    requested_by = models.ForeignKey(User, verbose_name=_("requested by"),
                                     on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(_("requested at"))
    approved_by = models.ForeignKey(User, verbose_name=_("approved by"),
                                    on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+")
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)

    class Meta:
        ordering = ["-requested_at"]
        verbose_name = _("password reset")
        verbose_name_plural = _("password resets")

    def __str__(self) -> str:
        return f"{self.user_id} ({self.requested_at:%Y-%m-%d %H:%M})"

    @property
    def pending(self) -> bool:
        return self.approved_at is None and self.cancelled_at is None
