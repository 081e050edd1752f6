"""Letter templates edited in the admin; the files in the rulebook are the default."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from casedesk.core.fields import EncryptedTextField


class LetterKind(models.TextChoices):
    ACKNOWLEDGEMENT = "acknowledgement", _("acknowledgement of the appeal")
    INFORMATION_REQUEST = "information_request", _("request for information")
    EXTENSION_NOTICE = "extension_notice", _("notice of extension")
    FORWARDING_NOTICE = "forwarding_notice", _("notice of forwarding")
    DECISION = "decision", _("commission decision")
    COVERING_LETTER = "covering_letter", _("covering letter to the competent body")
    UNANSWERED_NOTICE = "unanswered_notice", _("notice of leaving the appeal unanswered")
    ANSWER = "answer", _("answer on the merits")


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


class AnswerState(models.TextChoices):
    DRAFT = "draft", _("draft")
    SUBMITTED = "submitted", _("awaiting approval")
    RETURNED = "returned", _("returned for changes")
    APPROVED = "approved", _("approved")
    SIGNED = "signed", _("signed and sent")


class Answer(models.Model):
    """The office's answer on the merits of a case (casedesk.letters.answers).

    Written only through the services of ``answers``: drafted, optionally approved by a
    supervisor, then signed, which gives it its outgoing number and its letter and (for
    the first answer) moves the case to ``answered``. A signed answer is never changed: a
    later answer that ``supplements`` it follows instead. The text and the supervisor's
    comment are encrypted with the service member's data key (erased with the person)."""

    case = models.ForeignKey("cases.Case", verbose_name=_("case"), on_delete=models.CASCADE,
                             related_name="answers")
    state = models.CharField(_("state"), max_length=12, choices=AnswerState.choices,
                             default=AnswerState.DRAFT)
    text = EncryptedTextField(_("text of the answer"), blank=True)
    outcome = models.CharField(_("outcome"), max_length=50, blank=True)
    return_comment = EncryptedTextField(_("supervisor's comment"), blank=True)
    supplements = models.ForeignKey(
        "self", verbose_name=_("supplements the answer"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="supplemented_by")
    attachments = models.ManyToManyField("cases.Document", verbose_name=_("enclosures"),
                                         blank=True, related_name="+")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("drafted by"),
                               on_delete=models.SET_NULL, null=True, related_name="+")
    edited_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("last changed by"),
                                  on_delete=models.SET_NULL, null=True, related_name="+")
    approver = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("approved by"),
                                 on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="+")
    signer = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("signed by"),
                               on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="+")
    signed_at = models.DateTimeField(_("signed"), null=True, blank=True)
    outgoing_number = models.CharField(_("outgoing number"), max_length=40, blank=True)
    language = models.CharField(_("language"), max_length=2, blank=True)
    letter_pdf = models.ForeignKey("cases.Document", on_delete=models.SET_NULL, null=True,
                                   blank=True, related_name="+")
    letter_docx = models.ForeignKey("cases.Document", on_delete=models.SET_NULL, null=True,
                                    blank=True, related_name="+")
    # Appeals that came by post: when the letter was put in the post (None: not yet).
    posted_at = models.DateTimeField(_("posted"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("changed"), auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        constraints = [
            # One answer in the works per case at a time.
            models.UniqueConstraint(fields=["case"], condition=~models.Q(state="signed"),
                                    name="answer_one_unsigned_per_case"),
        ]
        indexes = [models.Index(fields=["state", "signed_at"], name="answer_state_signed")]

    def __str__(self) -> str:
        return f"{self.case_id}: answer {self.pk}"

    def save(self, *args, **kwargs):
        # A signed answer is never changed (an integrity rule, like WriteOnce): only the
        # posting mark of a signed one may be written.
        if self.pk is not None:
            stored = type(self).objects.filter(pk=self.pk).values_list("state", flat=True)
            if stored.first() == AnswerState.SIGNED and kwargs.get("update_fields") != [
                    "posted_at"]:
                raise ValueError("a signed answer cannot be changed; write a supplement")
        super().save(*args, **kwargs)

    def data_key_id(self) -> str:
        return self.case.service_member.data_key_id()
