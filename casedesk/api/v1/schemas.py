"""The request and response shapes of the public API (they are the OpenAPI schema).

Inputs are plain pydantic models, checked strictly: a string field takes only a JSON
string, dates only ``YYYY-MM-DD`` strings, ``consent`` only ``true`` (the schema says so;
``false`` is refused by intake with its own message). Lengths are those of the appeal
schema (``intake.schema``, from the database columns), so nothing the API accepts can fail
to be stored; text with NUL characters or unpaired surrogates (which PostgreSQL cannot
store) is refused here, by the schema's rule. The appeal's content rules (a name that is
only spaces, an unknown region, the service member a relation other than "self" needs)
are checked by intake with the same schema and answered with their own codes.
"""

import datetime as dt
import re
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
)

from casedesk.cases.models import Relation
from casedesk.intake import schema as appeal
from casedesk.people.models import ServiceType

RelationCode = Literal[tuple(Relation.values)]
ServiceTypeCode = Literal[tuple(ServiceType.values)]
LanguageCode = Literal[appeal.LANGUAGES]
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def storable_text(max_length: int, *, min_length: int = 0):
    """A JSON string of at most ``max_length`` characters that the database can store
    (``intake.schema.characters_check``)."""
    return Annotated[str, StringConstraints(min_length=min_length, max_length=max_length),
                     appeal.rule(appeal.characters_check)]


def _iso_date_only(value: object) -> object:
    if value is None or isinstance(value, dt.date):
        return value
    if isinstance(value, str) and ISO_DATE.fullmatch(value):
        return value
    raise ValueError("must be a date written as YYYY-MM-DD")


# The appeal's rules and lengths are intake's (``intake.schema``): these JSON types add
# only what is the API's own (strict JSON types, date and code formats).
Email = Annotated[str, StringConstraints(max_length=appeal.EMAIL_MAX),
                  appeal.rule(appeal.characters_check), appeal.rule(appeal.email_check)]
BirthDate = Annotated[dt.date, BeforeValidator(_iso_date_only),
                      appeal.rule(appeal.birth_date_check)]
RegionCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}-[A-Z0-9]{1,3}$")]
Name = storable_text(appeal.NAME_MAX, min_length=1)
OptionalName = storable_text(appeal.NAME_MAX)
Phone = storable_text(appeal.PHONE_MAX)
Address = storable_text(appeal.ADDRESS_MAX)
Unit = storable_text(appeal.UNIT_MAX)
AppealText = storable_text(appeal.TEXT_MAX, min_length=1)
RequestText = storable_text(appeal.REQUEST_MAX)
Category = storable_text(appeal.CATEGORY_MAX)
Key = storable_text(64, min_length=1)
OfficeCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2,8}$")]


class _In(BaseModel):
    # Unknown fields are ignored (forward compatible) and left out of the idempotency
    # fingerprint.
    model_config = ConfigDict(extra="ignore")


class ApplicantIn(_In):
    name: Name = Field(description="Full name of the person writing.")
    relation: RelationCode = Field(
        description="Who the applicant is to the service member (``self`` when the service "
                    "member writes).")
    email: Email | None = Field(None, description="Where the answer can be sent.")
    phone: Phone | None = None
    postal_address: Address | None = Field(
        None, description="Where the answer can be sent by post.")
    region: RegionCode | None = Field(
        None, description="The applicant's region, ISO 3166-2 code: decides the office when "
                          "the service member's region is not given.", examples=["RU-MOW"])


class ServiceMemberIn(_In):
    name: OptionalName | None = Field(
        None, description="Full name; required unless the applicant's relation is ``self`` "
                          "(then the applicant's name is used).")
    birth_date: BirthDate | None = Field(None, description="ISO date, YYYY-MM-DD.")
    unit: Unit | None = Field(None, description="Military unit.")
    region: RegionCode | None = Field(None, description="ISO 3166-2 code, e.g. RU-MOW.",
                                      examples=["RU-MOW"])
    service_type: ServiceTypeCode | None = None


class AppealIn(_In):
    applicant: ApplicantIn
    service_member: ServiceMemberIn | None = Field(
        None, description="The person the appeal is about; may be left out when the "
                          "applicant's relation is ``self``.")
    text: AppealText = Field(description="What happened.")
    request: RequestText | None = Field(None, description="What the applicant asks for.")
    category: Category | None = Field(
        None, description="A category code of the current rulebook; ``other`` when left out.")
    language: LanguageCode | None = Field(
        None, description="Language for letters to the applicant; by default the language "
                          "of the request (Accept-Language), else Russian.")
    # The schema says what is accepted: only ``true``. ``false`` still passes the type
    # check, so that intake refuses it with a message saying why (``consent_required``).
    consent: StrictBool = Field(
        description="Consent to the processing of the personal data in the appeal: must be "
                    "`true`; the appeal is refused without it (422 ``consent_required``).",
        json_schema_extra={"const": True, "enum": [True]})
    office: OfficeCode | None = Field(
        None, description="The code of the office chosen by the applicant, where several "
                          "serve the region (see `GET /public/offices`). Without it the "
                          "appeal goes to the office serving the service member's region, "
                          "else the applicant's, else the default office; an office that "
                          "does not serve the region is refused (422 "
                          "``office_not_serving_region``).", examples=["MSK"])


class StatusIn(_In):
    case_number: Key = Field(examples=["MSK-2026-00001"])
    access_code: Key = Field(examples=["ACDE-FGHJ-KMNP"])


class OfficeOut(BaseModel):
    code: str = Field(description="The office's code, the prefix of its case numbers.")
    name: str = Field(description="In the request's language.")
    address: str = Field(description="Postal address, in the request's language.")
    phone: str
    email: str
    hours: str = Field(description="Opening hours, in the request's language.")
    regions: list[str] = Field(description="ISO 3166-2 codes of the regions it serves.")
    default: bool = Field(description="Receives the appeals from regions no office serves.")


class ReceiptOut(BaseModel):
    case_number: str
    access_code: str = Field(description="Shown once: keep it to follow the case.")
    answer_due: dt.date | None = Field(
        description="The latest date the answer is owed by, when it can be known yet.")
    office: OfficeOut | None = Field(description="The office the appeal went to.")


class TimelineItemOut(BaseModel):
    at: dt.datetime
    kind: str = Field(description="Event kind code, e.g. ``state_changed``.")
    text: str = Field(description="What happened, in plain words, in the request's language.")


class AnswerOut(BaseModel):
    number: str = Field(description="The office's outgoing number of the answer letter.")
    signed_on: dt.date
    outcome: str | None = Field(description="Outcome code, e.g. ``upheld`` (none for a "
                                            "supplement that leaves it unchanged).")
    outcome_text: str | None = Field(description="The outcome in plain words.")
    supplement: bool = Field(description="A supplement to an earlier answer.")
    text: str = Field(description="The text of the answer, as signed.")
    letter_document: int | None = Field(
        description="Id of the signed letter (PDF) among the case's letters, which the "
                    "web status page offers for download.")


class StatusOut(BaseModel):
    case_number: str
    stage: str = Field(description="Stage code, e.g. ``in_review``.")
    stage_text: str = Field(description="The stage in plain words, in the request's language.")
    answer_due: dt.date | None
    late: bool = Field(description="The answer is overdue.")
    question: str | None = Field(description="The office's open question to the applicant.")
    timeline: list[TimelineItemOut]
    office: OfficeOut = Field(description="The office handling the case.")
    answers: list[AnswerOut] = Field(
        default_factory=list,
        description="The office's signed answers on the merits, oldest first.")


class ErrorDetail(BaseModel):
    code: str = Field(description="Stable code for programs, e.g. ``not_found``.")
    message: str = Field(description="For people, in the request's language.")
    fields: list[str] | None = Field(
        None, description="With ``invalid``: the fields that are missing or invalid.")


class ErrorOut(BaseModel):
    error: ErrorDetail
