"""Forms of the staff workspace. They parse input; services decide."""

from __future__ import annotations

from django import forms
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from casedesk import rulebook
from casedesk.cases.models import DocumentType, ForwardBody, Relation
from casedesk.cases.selectors import QUEUES
from casedesk.cases.workflow import Outcome
from casedesk.core.errors import ApplicationError
from casedesk.core.models import Region
from casedesk.core.states import CaseState
from casedesk.intake import schema
from casedesk.intake.services import PersonData, Sender, sender_problems
from casedesk.people.models import ServiceType

REGISTER_CHANNELS = [("letter", _("letter")), ("email", _("email")), ("phone", _("phone")),
                     ("visit", _("personal visit")),
                     ("forwarded", _("forwarded from another body"))]
DATETIME_LOCAL = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> sends


def category_choices(blank: str | None = None) -> list[tuple[str, str]]:
    language = translation.get_language()
    choices = [(c.code, c.label.get(language)) for c in rulebook.current().categories.values()]
    return ([("", blank)] if blank is not None else []) + choices


def ground_choices(forward: bool = False) -> list[tuple[str, str]]:
    """The rulebook's grounds for leaving an appeal unanswered, or (``forward``) those on
    which it is forwarded instead (59-FZ art. 11 part 1)."""
    language = translation.get_language()
    return [("", "—")] + [(g.code, g.label.get(language))
                         for g in rulebook.current().grounds.values() if g.forward == forward]


class RegionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return str(obj)


class QueueForm(forms.Form):
    queue = forms.ChoiceField(choices=list(QUEUES.items()), required=False)
    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    category = forms.ChoiceField(label=_("Category"), required=False)
    state = forms.ChoiceField(label=_("State"), required=False)
    urgent = forms.BooleanField(label=_("Urgent only"), required=False)  # issue 19
    page = forms.IntegerField(required=False, min_value=1)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = category_choices(blank=_("all categories"))
        self.fields["state"].choices = [("", _("all states")), *CaseState.choices]


class MarkErrors:
    """Mark the inputs of fields with errors for assistive technology and the stylesheet."""

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                self.fields[name].widget.attrs["aria-invalid"] = "true"


LANGUAGE_NAMES = {"ru": _("Russian"), "en": _("English")}
# Where the appeal schema's refusals go in the form (``schema.form_check``); for relation
# "self" the applicant's service details are the service member's fields.
APPEAL_FIELDS = {
    "channel": "channel", "relation": "relation", "text": "text", "request": "request",
    "language": "language", "applicant.full_name": "applicant_name",
    "applicant.email": "applicant_email", "applicant.phone": "applicant_phone",
    "applicant.postal_address": "applicant_address", "applicant.unit": "member_unit",
    "applicant.birth_date": "member_birth_date",
    "applicant.service_type": "member_service_type", "applicant.region_code": "member_region",
    "service_member": "member_name", "service_member.full_name": "member_name",
    "service_member.birth_date": "member_birth_date", "service_member.unit": "member_unit",
    "service_member.region_code": "member_region",
    "service_member.service_type": "member_service_type",
}


class RegisterForm(MarkErrors, forms.Form):
    # Entered in the office's time zone (the view activates it); deadlines count from it.
    received_at = forms.DateTimeField(
        label=_("Received on (date and time)"),
        input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M", "%d.%m.%Y %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL))
    channel = forms.ChoiceField(label=_("Received by"), choices=REGISTER_CHANNELS)
    # Channel "forwarded": always in the page (no script needed), required for it only.
    sender_body = forms.CharField(label=_("Forwarded by (name of the body)"), required=False,
                                  max_length=schema.SENDER_BODY_MAX)
    sender_number = forms.CharField(label=_("Their outgoing number"), required=False,
                                    max_length=schema.SENDER_NUMBER_MAX)
    sender_date = forms.DateField(label=_("Their outgoing date"), required=False,
                                  widget=forms.DateInput(attrs={"type": "date"}))
    text = forms.CharField(label=_("Text of the appeal"), widget=forms.Textarea(attrs={"rows": 6}),
                           max_length=schema.TEXT_MAX)
    request = forms.CharField(label=_("What the applicant asks for"), required=False,
                              widget=forms.Textarea(attrs={"rows": 2}),
                              max_length=schema.REQUEST_MAX)
    language = forms.ChoiceField(label=_("Language of the appeal"),
                                 choices=[(code, LANGUAGE_NAMES[code])
                                          for code in schema.LANGUAGES])
    category = forms.ChoiceField(label=_("Category"))
    # The applicant
    applicant_name = forms.CharField(label=_("Applicant's full name"),
                                     max_length=schema.NAME_MAX)
    relation = forms.ChoiceField(label=_("Applicant is"), choices=Relation.choices)
    applicant_email = forms.EmailField(label=_("Email"), required=False,
                                       max_length=schema.EMAIL_MAX)
    applicant_phone = forms.CharField(label=_("Phone"), required=False,
                                      max_length=schema.PHONE_MAX)
    applicant_address = forms.CharField(label=_("Postal address"), required=False,
                                        widget=forms.Textarea(attrs={"rows": 2}),
                                        max_length=schema.ADDRESS_MAX)
    # The service member
    member_name = forms.CharField(label=_("Service member's full name"), required=False,
                                  max_length=schema.NAME_MAX)
    member_birth_date = forms.DateField(label=_("Birth date"), required=False,
                                        widget=forms.DateInput(attrs={"type": "date"}))
    member_unit = forms.CharField(label=_("Military unit"), required=False,
                                  max_length=schema.UNIT_MAX)
    member_region = RegionChoiceField(label=_("Region"), queryset=Region.objects.all(),
                                      required=False, empty_label="—")
    member_service_type = forms.ChoiceField(label=_("Service type"),
                                            choices=ServiceType.choices,
                                            initial=ServiceType.UNKNOWN)
    # Attachments
    document = forms.FileField(label=_("Attachment"), required=False)
    document_type = forms.ChoiceField(label=_("Document type"), choices=DocumentType.choices,
                                      initial=DocumentType.OTHER, required=False)
    # The answer to possible duplicates ("attach_to": a case number or "new") is read by
    # the view: the radios exist only once the duplicates are shown.

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = category_choices(blank="—")

    def clean_received_at(self):
        value = self.cleaned_data["received_at"]
        try:
            schema.received_at_check(value)
        except ApplicationError as error:
            raise forms.ValidationError(str(error), code=error.code) from None
        return value

    def clean(self):
        data = super().clean()
        received = data.get("received_at")
        schema.form_check(self, {
            "channel": data.get("channel") or "", "relation": data.get("relation") or "",
            "text": data.get("text") or "", "request": data.get("request") or "",
            "language": data.get("language") or None,
            "applicant": vars(self.applicant()), "service_member": vars(self.service_member()),
        }, fields=APPEAL_FIELDS, context={"on": received.date()} if received else None)
        if data.get("channel"):
            received = data.get("received_at")
            for problem in sender_problems(channel=data["channel"],
                                           sender=self.sender(forwarded=True),
                                           received_on=received.date() if received else None):
                field = {"missing_sender_number": "sender_number",
                         "sender_date_late": "sender_date"}.get(problem.code, "sender_body")
                self.add_error(field, str(problem))
        return data

    def sender(self, *, forwarded: bool = False) -> Sender | None:
        """The forwarding body as typed; ``None`` unless the channel is "forwarded"."""
        d = self.cleaned_data
        if not forwarded and d.get("channel") != "forwarded":
            return None
        return Sender(body=d.get("sender_body") or "", number=d.get("sender_number") or "",
                      sent_on=d.get("sender_date"))

    def applicant(self) -> PersonData:
        """The applicant as typed; for relation "self", the service details are read from
        the service member's fields (``schema.AppealIn`` makes them one person)."""
        d = self.cleaned_data
        return PersonData(full_name=d.get("applicant_name") or "",
                          email=d.get("applicant_email") or "",
                          phone=d.get("applicant_phone") or "",
                          postal_address=d.get("applicant_address") or "")

    def service_member(self) -> PersonData:
        return PersonData.member_of(self.cleaned_data)


class TransitionForm(forms.Form):
    transition = forms.CharField(widget=forms.HiddenInput)
    reason = forms.CharField(label=_("Reason"), required=False, max_length=5000,
                             widget=forms.Textarea(attrs={"rows": 2}))
    message = forms.CharField(label=_("Message to the applicant"), required=False,
                              max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))
    outcome = forms.ChoiceField(label=_("Outcome"), required=False,
                                choices=[("", "—"), *Outcome.choices])
    forward_body = forms.ChoiceField(label=_("Body forwarded to"), required=False,
                                     choices=[("", "—"), *ForwardBody.choices])
    forwarded_to = forms.CharField(label=_("Name and details of the body"), required=False,
                                   max_length=300)
    ground = forms.ChoiceField(label=_("Lawful ground"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ground"].choices = ground_choices(forward=self.prefix == "forward")


class ReclassifyForm(forms.Form):
    """The category with its sub-category in one list (works without JavaScript), the
    procedure, the reason."""

    classification = forms.ChoiceField(label=_("Category"))
    procedure = forms.ChoiceField(label=_("Procedure"))
    reason = forms.CharField(label=_("Reason for the correction"), max_length=5000,
                             widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, book, case=None, **kwargs):
        if case is not None:
            kwargs.setdefault("initial", {
                "classification": f"{case.category}/{case.subcategory}".rstrip("/"),
                "procedure": case.procedure})
        super().__init__(*args, **kwargs)
        language = translation.get_language()
        groups = []
        for category in book.categories.values():
            label = category.label.get(language)
            options = [(category.code, label)] + [
                (f"{category.code}/{sub.code}", f"{label}: {sub.label.get(language)}")
                for sub in category.subcategories]
            groups.append((label, options))
        self.fields["classification"].choices = groups
        self.fields["procedure"].choices = [
            (p.code, p.label.get(language)) for p in book.procedures.values()]

    def codes(self) -> tuple[str, str]:
        """(category, sub-category) of the chosen option."""
        category, _slash, subcategory = self.cleaned_data["classification"].partition("/")
        return category, subcategory


class ExtendForm(forms.Form):
    days = forms.IntegerField(label=_("Extend by (days)"), min_value=1, max_value=365)
    reason = forms.CharField(label=_("Reason"), max_length=5000,
                             widget=forms.Textarea(attrs={"rows": 2}))


class RefuseExtensionForm(forms.Form):
    refusal = forms.CharField(label=_("Reason for the refusal"), max_length=5000,
                              widget=forms.Textarea(attrs={"rows": 2}))


class AssignForm(forms.Form):
    assignee = forms.IntegerField(required=False)


class NoteForm(forms.Form):
    text = forms.CharField(label=_("Internal note"), max_length=5000,
                           widget=forms.Textarea(attrs={"rows": 3}))


class DocumentForm(forms.Form):
    file = forms.FileField(label=_("File"))
    doc_type = forms.ChoiceField(label=_("Document type"), choices=DocumentType.choices)
