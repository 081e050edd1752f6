"""Forms of the public portal: plain language, everything optional that can be."""

from __future__ import annotations

import uuid

from django import forms
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from casedesk import rulebook
from casedesk.cases.models import Channel, DocumentType, Relation
from casedesk.core.models import Region
from casedesk.intake import schema
from casedesk.intake.public import MAX_ATTACHMENTS
from casedesk.intake.services import PersonData
from casedesk.people.models import ServiceType


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={
            "accept": "application/pdf,image/jpeg,image/png,image/webp,image/heic"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        if len(files) > MAX_ATTACHMENTS:
            raise forms.ValidationError(
                _("At most %(max)s files can be attached."), params={"max": MAX_ATTACHMENTS})
        return [super(MultipleFileField, self).clean(f, initial) for f in files]


class Marked:
    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                self.fields[name].widget.attrs["aria-invalid"] = "true"
                self.fields[name].widget.attrs["aria-describedby"] = f"{name}-error"


class RegionField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return str(obj)


# Where the appeal schema's refusals go in the form (``schema.form_check``); for relation
# "self" the applicant's service details are the service member's fields.
APPEAL_FIELDS = {
    "relation": "relation", "text": "text", "request": "request",
    "applicant.full_name": "applicant_name", "applicant.email": "email",
    "applicant.phone": "phone", "applicant.postal_address": "postal_address",
    "applicant.region_code": "applicant_region", "applicant.unit": "member_unit",
    "applicant.birth_date": "member_birth_date",
    "applicant.service_type": "member_service_type",
    "service_member": "member_name", "service_member.full_name": "member_name",
    "service_member.birth_date": "member_birth_date", "service_member.unit": "member_unit",
    "service_member.region_code": "member_region",
    "service_member.service_type": "member_service_type",
}
# The schema's refusals in the portal's plainer words, by code.
PLAIN_WORDS = {"missing_name": _("Write the service member's full name.")}


class AppealForm(Marked, forms.Form):
    key = forms.CharField(widget=forms.HiddenInput, max_length=64)
    relation = forms.ChoiceField(label=_("Who is writing?"), choices=Relation.choices,
                                 widget=forms.RadioSelect)
    applicant_name = forms.CharField(label=_("Your full name"), max_length=schema.NAME_MAX)
    email = forms.EmailField(label=_("Email"), required=False, max_length=schema.EMAIL_MAX)
    phone = forms.CharField(label=_("Phone"), required=False, max_length=schema.PHONE_MAX)
    applicant_region = RegionField(
        label=_("Your region"), queryset=Region.objects.all(), required=False,
        empty_label="—",
        help_text=_("Where you live. The appeal goes to the office serving the service "
                    "member's region, or yours if his or hers is not given."))
    postal_address = forms.CharField(label=_("Postal address"), required=False,
                                     max_length=schema.ADDRESS_MAX,
                                     widget=forms.Textarea(attrs={"rows": 2}))
    member_name = forms.CharField(label=_("Service member's full name"), required=False,
                                  max_length=schema.NAME_MAX,
                                  help_text=_("Required unless you are the service member."))
    member_birth_date = forms.DateField(label=_("Service member's birth date"), required=False,
                                        widget=forms.DateInput(attrs={"type": "date"}))
    member_unit = forms.CharField(label=_("Military unit number"), required=False,
                                  max_length=schema.UNIT_MAX)
    member_region = RegionField(label=_("Region"), queryset=Region.objects.all(),
                                required=False, empty_label="—")
    member_service_type = forms.ChoiceField(label=_("How does he or she serve?"),
                                            choices=ServiceType.choices,
                                            initial=ServiceType.UNKNOWN)
    category = forms.ChoiceField(label=_("What is the appeal about?"), required=False)
    text = forms.CharField(label=_("What happened"), max_length=schema.TEXT_MAX,
                           widget=forms.Textarea(attrs={"rows": 8}))
    request = forms.CharField(label=_("What do you ask for?"), required=False,
                              max_length=schema.REQUEST_MAX,
                              widget=forms.Textarea(attrs={"rows": 3}))
    files = MultipleFileField(label=_("Documents (photos or PDF)"), required=False)
    office = forms.ChoiceField(
        label=_("Office to receive the appeal"), required=False,
        help_text=_("Several offices serve some regions: you may choose one of those "
                    "serving your region. Left empty, the appeal goes to the office the "
                    "region decides."))
    consent = forms.BooleanField(
        label=_("I agree that the office processes the personal data in this appeal to "
                "consider it."),
        error_messages={"required": _("We can only take the appeal with your consent.")})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        language = translation.get_language()
        from .offices import office_cards, office_choices

        choices = office_choices(language)
        if choices:
            self.fields["office"].choices = [("", _("Chosen by region"))] + choices
        else:
            del self.fields["office"]  # nothing to choose: the region decides
        cards = office_cards(language)
        if len(cards) == 1:
            self.fields["consent"].label = _(
                "I agree that %(controller)s processes the personal data in this appeal to "
                "consider it.") % {"controller": cards[0].controller}
        elif cards:
            self.fields["consent"].label = _(
                "I agree that the office my appeal goes to processes the personal data in "
                "this appeal to consider it.")
            self.fields["consent"].help_text = _("Data controllers: %(controllers)s.") % {
                "controllers": "; ".join(f"{card.controller} ({card.code})"
                                         for card in cards)}
        self.fields["category"].choices = [("", _("I don't know / other"))] + [
            (c.code, c.label.get(language)) for c in rulebook.current().categories.values()
            if c.code != "other"]
        if not self.is_bound:
            self.initial["key"] = uuid.uuid4().hex

    def clean(self):
        data = super().clean()
        schema.form_check(self, {
            "channel": Channel.WEB, "relation": data.get("relation") or "",
            "text": data.get("text") or "", "request": data.get("request") or "",
            "applicant": vars(self.applicant()), "service_member": vars(self.service_member()),
        }, fields=APPEAL_FIELDS, words=PLAIN_WORDS)
        return data

    def payload(self) -> dict:
        d = self.cleaned_data
        return {k: (str(v) if v is not None else None) for k, v in d.items()
                if k not in ("files", "key")}

    def chosen_office(self) -> str:
        return self.cleaned_data.get("office") or ""

    def applicant(self) -> PersonData:
        """The applicant as given; for relation "self", the service details are read from
        the service member's fields (``schema.AppealIn`` makes them one person)."""
        d = self.cleaned_data
        own = d.get("applicant_region")
        return PersonData(full_name=d.get("applicant_name") or "", email=d.get("email") or "",
                          phone=d.get("phone") or "",
                          postal_address=d.get("postal_address") or "",
                          region_code=own.code if own else "")

    def service_member(self) -> PersonData:
        return PersonData.member_of(self.cleaned_data)

    def attachments(self) -> list[tuple]:
        return [(f, DocumentType.OTHER) for f in self.cleaned_data.get("files") or []]


class StatusForm(Marked, forms.Form):
    case_number = forms.CharField(label=_("Case number"), max_length=32,
                                  widget=forms.TextInput(attrs={"autocomplete": "off",
                                                                "placeholder": "MSK-2026-000123"}))
    access_code = forms.CharField(label=_("Access code"), max_length=40,
                                  widget=forms.TextInput(attrs={"autocomplete": "off",
                                                                "autocapitalize": "characters"}))


class RecoverForm(Marked, forms.Form):
    case_number = forms.CharField(label=_("Case number"), max_length=32,
                                  widget=forms.TextInput(attrs={"autocomplete": "off",
                                                                "placeholder": "MSK-2026-000123"}))
    email = forms.EmailField(label=_("The email address given in the appeal"),
                             max_length=schema.EMAIL_MAX,
                             widget=forms.EmailInput(attrs={"autocomplete": "email"}))


class ReplyForm(Marked, forms.Form):
    text = forms.CharField(label=_("Your answer or new information"),
                           max_length=schema.TEXT_MAX,
                           widget=forms.Textarea(attrs={"rows": 5}))
    files = MultipleFileField(label=_("Documents (photos or PDF)"), required=False)
