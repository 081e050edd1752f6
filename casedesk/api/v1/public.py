"""The public endpoints: submit an appeal, follow a case. No account and no cookie: the
case number and access code are the applicant's key. Each endpoint parses, checks its rate
limit, calls one intake service and renders."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django_ratelimit.core import get_usage
from ninja import Header, Router, Status

from casedesk.cases.timeline import public_event_text
from casedesk.cases.workflow import Outcome
from casedesk.core.errors import ApplicationError
from casedesk.intake import routing
from casedesk.intake.public import (
    appeal_submit,
    case_number_normalise,
    case_open_public,
    public_status,
    status_failure_count,
    status_locked_for,
)
from casedesk.intake.services import PersonData

from .errors import ApiError
from .schemas import (
    AnswerOut,
    AppealIn,
    ErrorOut,
    OfficeOut,
    ReceiptOut,
    StatusIn,
    StatusOut,
    TimelineItemOut,
)

router = Router(tags=["public"])

ERRORS = {400: ErrorOut, 404: ErrorOut, 409: ErrorOut, 413: ErrorOut, 422: ErrorOut,
          429: ErrorOut, 503: ErrorOut}


# --- rate limits ------------------------------------------------------------------------


def _too_many(time_left: int) -> ApiError:
    return ApiError(429, "rate_limited", _("Too many requests. Please try again later."),
                    headers={"Retry-After": str(max(1, int(time_left)))})


def _limit(request: HttpRequest, group: str, rate: str) -> None:
    """Count this request against the client's IP; refuse when over ``rate``."""
    usage = get_usage(request, group=group, key="ip", rate=rate, increment=True)
    if usage and usage["should_limit"]:
        raise _too_many(usage["time_left"])


def _case_locked(request: HttpRequest, number: str) -> None:
    """Refuse a case number that had too many failed attempts lately (from anywhere: the
    portal and the API count together, ``intake.public.status_locked_for``)."""
    time_left = status_locked_for(request, number)
    if time_left is not None:
        raise _too_many(time_left)


# --- submitting -------------------------------------------------------------------------


def request_language(request: HttpRequest) -> str:
    """The language of the request (Accept-Language, as LocaleMiddleware chose it) when
    the client sent one we speak, else Russian."""
    if request.META.get("HTTP_ACCEPT_LANGUAGE"):
        language = (translation.get_language() or "").split("-")[0]
        if language in ("ru", "en"):
            return language
    return "ru"


def _people(payload: AppealIn) -> tuple[PersonData, PersonData | None]:
    """The applicant and the service member as given (for relation "self" intake's
    schema makes them one person with the service details)."""
    applicant, member = payload.applicant, payload.service_member
    person = PersonData(full_name=applicant.name, email=applicant.email or "",
                        phone=applicant.phone or "",
                        postal_address=applicant.postal_address or "",
                        region_code=applicant.region or "")
    if member is None:
        return person, None
    return person, PersonData(full_name=member.name or "", birth_date=member.birth_date,
                              unit=member.unit or "", region_code=member.region or "",
                              service_type=member.service_type or "")


SUBMIT_DESCRIPTION = """
Registers an appeal and returns its case number and access code (shown once: the applicant
needs both to follow the case).

Send an `Idempotency-Key` header (a random string of 8 to 200 characters, e.g. a UUID) and
send the same key with every retry of the same appeal: a repeat with the same key and the
same body creates nothing and answers **201 with the same body** (the same case number and
access code); the same key with a different body is refused with 409.

Limited to 10 submissions an hour from one IP address (429 with `Retry-After`).
"""


@router.post(
    "/appeals", response={201: ReceiptOut, **ERRORS}, summary="Submit an appeal",
    description=SUBMIT_DESCRIPTION, operation_id="appeal_submit",
)
def appeal_create(
    request: HttpRequest,
    response: HttpResponse,
    payload: AppealIn,
    idempotency_key: str = Header(..., alias="Idempotency-Key", min_length=8, max_length=200,
                                  description="A random string, the same for every retry."),
):
    add_never_cache_headers(response)  # the access code must not stay in any cache
    _limit(request, "api-v1-submit", settings.CASEDESK_RATE_SUBMIT)
    applicant, member = _people(payload)
    body = payload.model_dump(mode="json")
    # Fields added later count in the fingerprint only when given, so that a retry of an
    # appeal sent before they existed still gets its receipt.
    if body.get("office") is None:
        body.pop("office", None)
    if body["applicant"].get("region") is None:
        body["applicant"].pop("region", None)
    try:
        receipt = appeal_submit(
            channel="api", idempotency_key=idempotency_key, payload=body,
            applicant=applicant, relation=payload.applicant.relation, service_member=member,
            text=payload.text, request=payload.request or "",
            category=payload.category or "other",
            language=payload.language or request_language(request), consent=payload.consent,
            chosen_office=payload.office or "",
        )
    except ApplicationError as exc:
        if exc.code != "idempotency_key_reused":
            raise
        # Intake's words are the portal's ("reload the page"); an API client is told what
        # happened to its key.
        raise ApiError(409, exc.code, _(
            "This Idempotency-Key was already used for a different appeal. Send each new "
            "appeal with a new key, and a retry with the same key and the same body.")) \
            from None
    office = routing.office_by_id(receipt.office_id)
    return Status(201, ReceiptOut(case_number=receipt.case_number,
                                  access_code=receipt.access_code,
                                  answer_due=receipt.answer_due,
                                  office=_office(office) if office else None))


# --- offices ----------------------------------------------------------------------------


def _office(office) -> OfficeOut:
    language = (translation.get_language() or "ru").split("-")[0]
    offices = routing.office_map()
    return OfficeOut(
        code=office.code, name=office.name(language), address=office.address(language),
        phone=office.phone, email=office.email, hours=office.hours(language),
        regions=[region.code for region in offices.regions_of(office)],
        default=offices.default is not None and offices.default.pk == office.pk)


@router.get(
    "/offices", response={200: list[OfficeOut], **ERRORS}, summary="The offices",
    description="The offices that receive appeals, the regions each serves and their "
    "contacts, in the request's language. An appeal goes to the office serving the service "
    "member's region, else the applicant's, else the default office; where several serve "
    "the region, the applicant may choose one of them (`office` in the appeal).",
    operation_id="office_list",
)
def office_list(request: HttpRequest):
    return [_office(office) for office in routing.public_offices()]


# --- following a case -------------------------------------------------------------------


def _status(request: HttpRequest, case_number: str, access_code: str) -> StatusOut:
    _limit(request, "api-v1-status", settings.CASEDESK_RATE_STATUS)
    number = case_number_normalise(case_number)
    _case_locked(request, number)
    try:
        case = case_open_public(case_number=number, access_code=access_code)
    except ApplicationError as exc:
        if exc.code == "not_found":
            status_failure_count(request, number)
        raise
    info = public_status(case_id=case.pk)
    timeline = []
    for event in info.timeline:
        text = public_event_text(event)
        if text:
            timeline.append(TimelineItemOut(at=event.at, kind=event.kind, text=text))
    outcomes = dict(Outcome.choices)
    answers = [
        AnswerOut(number=answer.outgoing_number, signed_on=timezone.localdate(answer.signed_at),
                  outcome=answer.outcome or None,
                  outcome_text=str(outcomes[answer.outcome]) if answer.outcome in outcomes
                  else None,
                  supplement=answer.supplements_id is not None, text=answer.text,
                  letter_document=answer.letter_pdf_id)
        for answer in info.answers
    ]
    return StatusOut(
        case_number=info.case.number, stage=info.case.state, stage_text=info.stage,
        answer_due=info.answer_due, late=info.late, question=info.question or None,
        timeline=timeline, office=_office(info.case.office), answers=answers,
    )


STATUS_DESCRIPTION = """
Where the case stands: the stage (a code and plain words in the request's language), the
date the answer is due, whether the answer is overdue, the office's open question and the
public history.

An unknown case number and a wrong access code get the same 404. Limited to 20 checks in
10 minutes from one IP address, and to 5 failed attempts in 10 minutes for one case number
from anywhere, the portal's included, however the number is written (429 with
`Retry-After`).
"""


@router.post(
    "/status", response={200: StatusOut, **ERRORS}, summary="Follow a case",
    description=STATUS_DESCRIPTION + "\nPOST only: the number and code travel in the body, "
    "never in the URL, which proxies and servers write to their logs (a `GET` is refused "
    "with 405).",
    operation_id="case_status",
)
def case_status(request: HttpRequest, response: HttpResponse, payload: StatusIn):
    add_never_cache_headers(response)
    return _status(request, payload.case_number, payload.access_code)


# --- every other method is a JSON answer too ---------------------------------------------

# The methods a client may send; each endpoint answers the ones it does not serve with 405
# and the truth in ``Allow``, and OPTIONS with the same list.
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def _allow(methods: tuple[str, ...]) -> str:
    return ", ".join(sorted({*methods, "OPTIONS"}))


def method_not_allowed(allowed: tuple[str, ...]):
    def refuse(request: HttpRequest):
        raise ApiError(405, "method_not_allowed", _("This method is not allowed here."),
                       headers={"Allow": _allow(allowed)})

    return refuse


def options(allowed: tuple[str, ...]):
    def answer(request: HttpRequest, response: HttpResponse):
        response["Allow"] = _allow(allowed)
        return {"allow": _allow(allowed).split(", ")}

    return answer


def only(path: str, *allowed: str) -> None:
    """Answer OPTIONS on ``path`` and refuse every other method but ``allowed``."""
    router.add_api_operation(path, [m for m in METHODS if m not in allowed],
                             method_not_allowed(allowed), include_in_schema=False)
    router.add_api_operation(path, ["OPTIONS"], options(allowed), include_in_schema=False)


only("/appeals", "POST")
only("/offices", "GET")
only("/status", "POST")
