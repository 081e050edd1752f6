"""Letter templates edited in the admin; the files in the rulebook are the default."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class LetterKind(models.TextChoices):
    ACKNOWLEDGEMENT = "acknowledgement", _("acknowledgement of the appeal")
    INFORMATION_REQUEST = "information_request", _("request for information")
    EXTENSION_NOTICE = "extension_notice", _("notice of extension")
    FORWARDING_NOTICE = "forwarding_notice", _("notice of forwarding")
    DECISION = "decision", _("commission decision")
    COVERING_LETTER = "covering_letter", _("covering letter to the competent body")
    UNANSWERED_NOTICE = "unanswered_notice", _("notice of leaving the appeal unanswered")


class LetterLanguage(models.TextChoices):
    RU = "ru", _("Russian")
    EN = "en", _("English")


class LetterTemplate(models.Model):
    """The text of one kind of letter in one language, replacing the rulebook's file
    ``letters/<kind>.<language>.html`` while it exists. Written only through
    ``services.letter_template_save`` (which checks that it renders)."""

    kind = models.CharField(_("kind of letter"), max_length=30, choices=LetterKind.choices)
    language = models.CharField(_("language"), max_length=2, choices=LetterLanguage.choices)
    body = models.TextField(
        _("template"),
        help_text=_("Django template language; usually starts with "
                    "{% extends \"layout.html\" %} and fills the blocks title and body."),
    )
    updated_at = models.DateTimeField(_("changed"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("changed by"), on_delete=models.SET_NULL,
        null=True, blank=True, related_name="+",
    )

    class Meta:
        ordering = ["kind", "language"]
        verbose_name = _("letter template")
        verbose_name_plural = _("letter templates")
        constraints = [
            models.UniqueConstraint(fields=["kind", "language"], name="letter_template_once")
        ]

    def __str__(self) -> str:
        return f"{self.kind}.{self.language}"
