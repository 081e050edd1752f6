"""The one schema of an incoming appeal: every rule about its content, written once.

Every channel feeds it: the public API (``api.v1.schemas`` builds its JSON types from the
ones here), the portal's and the staff desk's forms (their ``clean()``), the rows of a CSV
import (``bulk_import._Checker``) and the intake services (``services.appeal_check``).

A refusal is an :class:`~casedesk.core.errors.ApplicationError` (a stable code, a message
for people in gettext) attached to the field it is about. ``problems`` turns a pydantic
``ValidationError`` of these models into ``{"applicant.full_name": [ApplicationError]}``
for forms, CSV rows and API problem responses; ``first_problem`` gives the one a service
raises. A channel may say the same refusal in its own words (the portal's plainer tone,
the CSV's column hints) by code, never by checking again.

Lengths are the database columns' (``Person``, ``Appeal``, ``Case`` fields), or for the
text columns without one, the one constant below that sets it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from typing import Annotated, Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from casedesk import rulebook
from casedesk.cases.models import Appeal, Case, Channel, Relation
from casedesk.cases.services import MAX_TEXT, classification_check
from casedesk.core.errors import ApplicationError
from casedesk.core.models import Region
from casedesk.people.models import Person, ServiceType

# --- the limits -------------------------------------------------------------------------

NAME_MAX = Person._meta.get_field("full_name").max_length
EMAIL_MAX = Person._meta.get_field("email").max_length
PHONE_MAX = Person._meta.get_field("phone").max_length
UNIT_MAX = Person._meta.get_field("unit").max_length
# Text columns (no length of their own in the database): the limits are set here.
ADDRESS_MAX = 1000  # Person.postal_address
TEXT_MAX = MAX_TEXT * 4  # Appeal.text
REQUEST_MAX = MAX_TEXT  # Appeal.request
CATEGORY_MAX = Case._meta.get_field("category").max_length
SENDER_BODY_MAX = Appeal._meta.get_field("sender_body").max_length
SENDER_NUMBER_MAX = Appeal._meta.get_field("sender_number").max_length
LANGUAGES = ("ru", "en")
BORN_AFTER = dt.date(1900, 1, 1)  # the earliest plausible birth date
# The choices, as sets (``TextChoices.values`` makes a new list at every call).
CHANNELS = frozenset(Channel.values)
RELATIONS = frozenset(Relation.values)
SERVICE_TYPES = frozenset(ServiceType.values)


# --- the rules, one function each ------------------------------------------------------
# Each takes a value and returns it cleaned, or raises ApplicationError. The pydantic types
# below wrap them (``rule``); the API's types reuse the structural ones.


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def characters_check(value: str) -> str:
    """Refuse what no database column can hold: NUL characters and unpaired surrogates
    (bytes that were not UTF-8)."""
    if value and _UNSTORABLE.search(value):
        raise ApplicationError("bad_characters",
                               _("The text contains characters that cannot be stored."))
    return value


def storable(value: str | None) -> str:
    """Text as people typed it (``characters_check``), without the spaces around."""
    return characters_check(value or "").strip()


def _encodes(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def one_line(value: str) -> str:
    return " ".join(value.split())


def _detail(limit: int) -> Callable[[str], str]:
    """A contact or service detail: storable, at most ``limit`` characters."""
    def check(value: str) -> str:
        value = storable(value)
        if len(value) > limit:
            raise ApplicationError("too_long", _("A contact or service detail is too long."),
                                   max=limit)
        return value
    return check


def email_check(value: str) -> str:
    """An email address (or nothing)."""
    if value:
        try:
            validate_email(value)
        except DjangoValidationError:
            raise ApplicationError("bad_email", _("Not an email address.")) from None
    return value


def name_check(value: str) -> str:
    """A full name, storable, on one line: at most ``NAME_MAX`` characters (whether one
    is required, and in whose words, is ``PersonIn``'s)."""
    value = one_line(storable(value))
    if len(value) > NAME_MAX:
        raise ApplicationError("too_long", _("The name is too long."), max=NAME_MAX)
    return value


def service_type_check(value: str) -> str:
    if value and value not in SERVICE_TYPES:
        raise ApplicationError("unknown_service_type", _("Choose a service type from the list."))
    return value


def birth_date_check(value: dt.date | None, *, on: dt.date | None = None) -> dt.date | None:
    """A birth date between 1900 and the day of the appeal (``on``, today by default)."""
    if value is not None and not BORN_AFTER <= value <= (on or timezone.localdate()):
        raise ApplicationError("implausible_birth_date", _("The birth date is not plausible."))
    return value


_region_ids: dict[str, int] = {}


def region_id(code: str) -> int | None:
    """The id of a region by its code (any case). Regions are reference data whose codes
    never change once loaded: all of them are read at the first call and kept for the life
    of the process, so that checking an appeal does not touch the database (and a web
    server's request threads hold no connection of their own for it). A code not known
    then is looked up again, in case the regions were loaded since."""
    code = code.upper()
    if not _region_ids:
        _region_ids.update((c.upper(), pk) for c, pk in
                           Region.objects.values_list("code", "id"))
    if code not in _region_ids:
        found = Region.objects.filter(code__iexact=code).values_list("id", flat=True).first()
        if found is None:
            return None
        _region_ids[code] = found
    return _region_ids[code]


def region_ids_forget() -> None:
    _region_ids.clear()


def regions_load() -> dict[str, Region]:
    """Every region by its code in capitals, read in one query; ``region_id`` then knows
    them all without another (a CSV import checks its rows with them)."""
    regions = {region.code.upper(): region for region in Region.objects.all()}
    _region_ids.update((code, region.pk) for code, region in regions.items())
    return regions


def region_check(code: str) -> str:
    if code and region_id(code) is None:
        raise ApplicationError("unknown_region", _("Choose a region from the list."))
    return code.upper()


def channel_check(value: str) -> str:
    if value not in CHANNELS:
        raise ApplicationError("unknown_channel", _("Unknown channel."))
    return value


def relation_check(value: str) -> str:
    if value not in RELATIONS:
        raise ApplicationError("unknown_relation", _("Choose who the applicant is."))
    return value


def language_check(value: str | None) -> str | None:
    if value is not None and value not in LANGUAGES:
        raise ApplicationError("unknown_language", _("Unknown language: use ru or en."))
    return value


def text_check(value: str) -> str:
    """What happened, storable: required, at most ``TEXT_MAX`` characters."""
    value = storable(value)
    if not value:
        raise ApplicationError("missing_text", _("Write what happened: the appeal is empty."))
    if len(value) > TEXT_MAX:
        raise ApplicationError("too_long", _("The text is too long."), max=TEXT_MAX)
    return value


def request_check(value: str) -> str:
    """What the applicant asks for, storable: at most ``REQUEST_MAX`` characters."""
    value = storable(value)
    if len(value) > REQUEST_MAX:
        raise ApplicationError("too_long", _("The text is too long."), max=REQUEST_MAX)
    return value


def received_at_earliest() -> dt.date:
    """The earliest day an appeal can have been received: the day the first rulebook
    version came into force (no deadlines can be counted for anything older)."""
    return min(book.manifest.effective_from for book in rulebook.versions().values())


def received_at_check(received_at: dt.datetime, *, now: dt.datetime | None = None,
                      tolerance: dt.timedelta = dt.timedelta(0),
                      history: bool = False) -> dt.datetime:
    """Refuse a time of receipt that people typed if it is in the future (beyond
    ``tolerance``) or older than the rulebook (``received_at_earliest``): deadlines count
    from it. ``history``: an office's register being imported (CSV), whose older appeals
    are taken with the first rulebook's deadlines and shown overdue if they are
    (docs/import.md); only the future is refused then."""
    now = now or timezone.now()
    if received_at > now + tolerance:
        raise ApplicationError(
            "received_in_future",
            _("The appeal cannot have been received in the future: check the date and "
              "time."))
    earliest = received_at_earliest()
    if history or received_at.date() - earliest > dt.timedelta(days=1):
        return received_at  # days after, in any time zone
    received_on = timezone.localdate(received_at) if timezone.is_aware(received_at) \
        else received_at.date()
    if received_on < earliest:
        raise ApplicationError(
            "received_too_early",
            _("An appeal received before %(date)s cannot be registered: the rulebook's "
              "deadlines start on that day. Check the year."),
            date=formats.date_format(earliest, "DATE_FORMAT"))
    return received_at


# --- pydantic types over the rules -----------------------------------------------------


def rule(check: Callable[[Any], Any]) -> AfterValidator:
    """``check`` as a pydantic validator: its ApplicationError becomes the field's error
    (type: the code; the error itself in ``ctx["error"]``, read by ``problems``)."""
    def validate(value):
        try:
            return check(value)
        except ApplicationError as error:
            raise PydanticCustomError(error.code, "{text}",
                                      {"text": str(error), "error": error}) from None
    return AfterValidator(validate)


Email = Annotated[str, rule(_detail(EMAIL_MAX)), rule(email_check)]
Phone = Annotated[str, rule(_detail(PHONE_MAX))]
Address = Annotated[str, rule(_detail(ADDRESS_MAX))]
Unit = Annotated[str, rule(_detail(UNIT_MAX))]


# What makes a person a service member; for relation "self", the applicant's.
SERVICE_DETAILS = ("birth_date", "unit", "service_type", "region_code")


class PersonIn(BaseModel):
    """An applicant or a service member as given. ``service_member``: whose details they
    are (the words of a missing name, and an unknown service type by default)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    service_member: bool = False  # first: the name's check reads it
    email: Email = ""
    phone: Phone = ""
    postal_address: Address = ""
    unit: Unit = ""
    full_name: Annotated[str, rule(name_check)] = ""
    service_type: Annotated[str, rule(service_type_check)] = ""
    region_code: Annotated[str, rule(region_check)] = ""
    birth_date: dt.date | None = None

    @field_validator("full_name")
    @classmethod
    def _named(cls, value: str, info: ValidationInfo) -> str:
        if not value:
            member = info.data.get("service_member")
            _fail(ApplicationError(
                "missing_name",
                _("Give the service member's full name.") if member
                else _("Give the applicant's full name.")))
        return value

    @field_validator("birth_date")
    @classmethod
    def _plausible(cls, value: dt.date | None, info: ValidationInfo) -> dt.date | None:
        try:
            return birth_date_check(value, on=(info.context or {}).get("on"))
        except ApplicationError as error:
            _fail(error)

    def person(self) -> Person:
        """An unsaved person with these details."""
        return Person(
            full_name=self.full_name, birth_date=self.birth_date, email=self.email,
            phone=self.phone, postal_address=self.postal_address,
            service_type=self.service_type or (ServiceType.UNKNOWN if self.service_member
                                               else ""),
            unit=self.unit, region_id=region_id(self.region_code) if self.region_code else None)


class AppealIn(BaseModel):
    """An incoming appeal as given, from any channel.

    ``relation`` "self": the applicant is the service member (``service_member`` is not
    read). Any other relation needs the service member's details, unless the appeal joins
    a case that has them (``new_case`` false). ``category`` (with ``subcategory``) is
    checked against the rulebook in force on the day received when given. Validate with
    ``context={"on": day}`` to check dates against the day of the appeal (default today);
    ``context["book"]``: that day's rulebook, when the caller has it at hand.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    channel: Annotated[str, rule(channel_check)]
    relation: Annotated[str, rule(relation_check)]
    text: Annotated[str, rule(text_check)]
    request: Annotated[str, rule(request_check)] = ""
    applicant: PersonIn
    new_case: bool = True
    service_member: PersonIn | None = Field(None, validate_default=True)
    language: Annotated[str | None, rule(language_check)] = None
    category: str | None = None
    subcategory: str = ""

    @model_validator(mode="before")
    @classmethod
    def _roles(cls, data: Any) -> Any:
        """Whose details each person holds: the applicant's are the service member's when
        the relation is "self" (and a separate service member is not read)."""
        if not isinstance(data, Mapping):
            return data
        data = dict(data)
        own = data.get("relation") == Relation.SELF
        for name, member in (("applicant", own), ("service_member", True)):
            person = data.get(name)
            if isinstance(person, PersonIn):
                person = person.model_dump()
            if isinstance(person, Mapping):
                data[name] = {**person, "service_member": member}
        if own:
            # One person: the service details given for the service member fill in those
            # the applicant's lack; the service member's region comes before the
            # applicant's own (it decides the office, ``routing``).
            member = data.pop("service_member", None)
            applicant = data.get("applicant")
            if isinstance(member, Mapping) and isinstance(applicant, Mapping):
                data["applicant"] = {**applicant, **{
                    name: member[name] for name in SERVICE_DETAILS if member.get(name)
                    and (name == "region_code" or not applicant.get(name))}}
        return data

    @field_validator("service_member")
    @classmethod
    def _member_given(cls, value: PersonIn | None, info: ValidationInfo) -> PersonIn | None:
        relation = info.data.get("relation")
        if value is None and relation and relation != Relation.SELF \
                and info.data.get("new_case", True):
            _fail(ApplicationError("missing_service_member",
                                   _("Give the service member's details.")))
        return value

    @field_validator("category")
    @classmethod
    def _category_known(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None:
            try:
                classification_check(_book(info), value, "")
            except ApplicationError as error:
                _fail(error)
        return value

    @field_validator("subcategory")
    @classmethod
    def _subcategory_known(cls, value: str, info: ValidationInfo) -> str:
        category = info.data.get("category")
        if value and category is not None:
            try:
                classification_check(_book(info), category, value)
            except ApplicationError as error:
                _fail(error)
        return value

    @property
    def subject(self) -> PersonIn:
        """The service member: the applicant for relation "self"."""
        return self.applicant if self.relation == Relation.SELF else (
            self.service_member or self.applicant)


def _book(info: ValidationInfo) -> rulebook.Rulebook:
    """The rulebook in force on the day of the appeal: ``context["book"]``, else the one
    in force on ``context["on"]``, else today."""
    context = info.context or {}
    return context.get("book") or rulebook.current(context.get("on"))


def _fail(error: ApplicationError):
    raise PydanticCustomError(error.code, "{text}", {"text": str(error), "error": error})


# --- reading the refusals --------------------------------------------------------------

INVALID = ApplicationError("invalid", _("Enter a valid value."))


def problems(exc: ValidationError, *,
             words: Mapping[str, Any] | None = None) -> dict[str, list[ApplicationError]]:
    """The refusals of a failed validation by field (``"applicant.full_name"``; a whole
    model's under its own name), in the order found. ``words``: the same refusal in a
    channel's own words, by code (``{"missing_name": _("...")}``; the error's params are
    kept)."""
    found: dict[str, list[ApplicationError]] = {}
    for item in exc.errors(include_url=False):
        error = (item.get("ctx") or {}).get("error")
        if not isinstance(error, ApplicationError):
            error = INVALID
        if words and error.code in words:
            error = ApplicationError(error.code, words[error.code], **error.params)
        field = ".".join(str(part) for part in item["loc"])
        found.setdefault(field, []).append(error)
    return found


def first_problem(exc: ValidationError) -> ApplicationError:
    """The refusal a service raises: the first found."""
    return next(iter(problems(exc).values()))[0]


def messages(exc: ValidationError, *,
             words: Mapping[str, Any] | None = None) -> dict[str, list[str]]:
    """``problems`` as messages (in the active language) by dotted field name, for a form
    or an API problem response."""
    return {name: [str(error) for error in errors]
            for name, errors in problems(exc, words=words).items()}


def form_check(form, data: Mapping[str, Any], *, fields: Mapping[str, str],
               words: Mapping[str, Any] | None = None,
               context: Mapping[str, Any] | None = None) -> AppealIn | None:
    """Check ``data`` (an appeal as ``AppealIn`` takes it, built from a form's cleaned
    data) and add each refusal to the form field ``fields`` names (a form-wide error for a
    field not named), unless that field has an error already (it failed the form's own
    parsing, e.g. a required field left empty). Returns the checked appeal, or None."""
    try:
        return AppealIn.model_validate(data, context=context)
    except ValidationError as exc:
        for name, texts in messages(exc, words=words).items():
            target = fields.get(name)
            if target is not None and target in form.errors:
                continue
            for text in texts:
                form.add_error(target, text)
        return None
