"""Every error of the public API is JSON: ``{"error": {"code": ..., "message": ...}}``.

``code`` is stable for programs; ``message`` is for people, in the language of the request
(LocaleMiddleware has activated it from Accept-Language). Bad input is always a 4xx; an
unexpected failure is logged without personal data and answered with a JSON 500.
"""

from __future__ import annotations

import json
import logging
import traceback

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import HttpError, ValidationError
from ninja.parser import Parser
from ninja.renderers import JSONRenderer

from casedesk.core.errors import ApplicationError
from casedesk.core.outage import API_MESSAGE, OUTAGE_ERRORS, is_outage, retry_after_seconds

logger = logging.getLogger("casedesk.api")

# HTTP status for the refusals of the intake services; anything else is 422: the request
# was understood but its content was refused.
APPLICATION_STATUS = {
    "not_found": 404,
    "idempotency_key_reused": 409,
    "bad_idempotency_key": 400,
    "unknown_channel": 400,
    "no_office": 503,  # not the client's fault: no office takes public appeals yet
}


class ApiError(Exception):
    """A refusal made by the API layer itself (rate limit, ...)."""

    def __init__(self, status: int, code: str, message: str, *,
                 headers: dict[str, str] | None = None) -> None:
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}
        super().__init__(code)


class PayloadTooLarge(Exception):
    pass


def max_body_bytes() -> int:
    return settings.CASEDESK_API_MAX_BODY_BYTES


class BoundedJSONParser(Parser):
    """ninja's JSON parser with a size limit checked before parsing. (ninja turns any
    parser exception into ``HttpError(400)`` raised ``from`` it; the handler below looks at
    the cause to answer 413 or 400.)"""

    def parse_body(self, request: HttpRequest):
        if len(request.body) > max_body_bytes():
            raise PayloadTooLarge
        return json.loads(request.body)


class CompactJSONRenderer(JSONRenderer):
    """Cyrillic as UTF-8 rather than \\u escapes: half the bytes on a slow line."""

    json_dumps_params = {"ensure_ascii": False}


def error_response(api: NinjaAPI, request: HttpRequest, status: int, code: str,
                   message: str, *, fields: list[str] | None = None,
                   headers: dict[str, str] | None = None) -> HttpResponse:
    detail: dict[str, object] = {"code": code, "message": str(message)}
    if fields:
        detail["fields"] = fields
    response = api.create_response(request, {"error": detail}, status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _field_name(loc: tuple) -> str:
    """``("body", "payload", "applicant", "name")`` -> ``applicant.name``;
    ``("query", "case_number")`` -> ``case_number``."""
    source, *rest = loc
    if source == "body":
        rest = rest[1:]  # the view's parameter name, not a field the client sends
    parts: list[str] = []
    for part in rest:
        if isinstance(part, int):
            parts.append(f"[{part}]")
        else:
            parts.append(("." if parts else "") + str(part))
    return "".join(parts)


def install_error_handlers(api: NinjaAPI) -> None:
    def respond(request, status, code, message, **kwargs):
        return error_response(api, request, status, code, message, **kwargs)

    def on_application_error(request, exc: ApplicationError):
        return respond(request, APPLICATION_STATUS.get(exc.code, 422), exc.code, str(exc))

    def on_api_error(request, exc: ApiError):
        return respond(request, exc.status, exc.code, exc.message, headers=exc.headers)

    def on_validation_error(request, exc: ValidationError):
        errors = exc.errors
        header_errors = [e for e in errors if e.get("loc", ("",))[0] == "header"]
        if header_errors:
            missing = any(e.get("type") == "missing" for e in header_errors)
            return respond(
                request, 400,
                "missing_idempotency_key" if missing else "bad_idempotency_key",
                _("Send an Idempotency-Key header: a random string of 8 to 200 characters, "
                  "the same for every retry of one appeal."))
        body_missing = [e for e in errors if tuple(e.get("loc", ()))[:1] == ("body",)
                        and len(e["loc"]) <= 2 and e.get("type") == "missing"]
        if body_missing:
            return respond(request, 400, "bad_json",
                           _("The request body must be a JSON object."))
        fields: list[str] = []
        for error in errors:
            name = _field_name(tuple(error.get("loc", ("body",)))) or "body"
            if name not in fields:
                fields.append(name)
        return respond(request, 422, "invalid",
                       _("Some fields are missing or invalid: %(fields)s.")
                       % {"fields": ", ".join(fields)},
                       fields=fields)

    def on_http_error(request, exc: HttpError):
        if isinstance(exc.__cause__, PayloadTooLarge):
            return too_large(request, exc)
        if exc.status_code == 400:
            return respond(request, 400, "bad_json", _("The request body is not valid JSON."))
        return respond(request, exc.status_code, "http_error", str(exc))

    def too_large(request, exc):
        return respond(request, 413, "too_large",
                       _("The request is too large: at most %(size)s KiB.")
                       % {"size": max_body_bytes() // 1024})

    def on_not_found(request, exc: Http404):
        return respond(request, 404, "not_found", _("Not found."))

    def on_outage(request, exc: Exception):
        # The database or the key store did not answer: the client may retry, with the
        # same Idempotency-Key, and gets the same receipt if the appeal was stored.
        logger.warning("database unavailable (%s) in %s %s", type(exc).__name__,
                       request.method, request.path)
        return respond(request, 503, "unavailable", API_MESSAGE,
                       headers={"Retry-After": str(retry_after_seconds())})

    def on_unexpected(request, exc: Exception):
        if is_outage(exc):
            return on_outage(request, exc)
        # The message of a database error can quote what was submitted: log the type and
        # the stack (file, line, code), never the message or the request's content.
        logger.error("Unexpected %s in %s %s\n%s", type(exc).__name__, request.method,
                     request.path, "".join(traceback.format_tb(exc.__traceback__)))
        return respond(request, 500, "internal_error",
                       _("Something went wrong on our side. Please try again later."))

    api.add_exception_handler(ApplicationError, on_application_error)
    api.add_exception_handler(ApiError, on_api_error)
    api.add_exception_handler(ValidationError, on_validation_error)
    api.add_exception_handler(HttpError, on_http_error)
    api.add_exception_handler(RequestDataTooBig, too_large)
    api.add_exception_handler(Http404, on_not_found)
    for outage in OUTAGE_ERRORS:
        api.add_exception_handler(outage, on_outage)
    api.add_exception_handler(Exception, on_unexpected)
