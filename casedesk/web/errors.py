"""Error answers that must work when nothing else does: a database outage (503) and a
request too large to read (413). Rendered from templates that need no database (no
context processors, no user, no session), in the language of the request as the URL
prefix, the language cookie or ``Accept-Language`` give it; JSON in the API's error shape
(``{"error": {"code": ..., "message": ...}}``) under /api/."""

from __future__ import annotations

import json
import logging
import sys

from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _
from django.views import defaults

from casedesk.core.outage import API_MESSAGE, is_outage, retry_after_seconds

logger = logging.getLogger("casedesk.web")

API_PREFIX = "/api/"
# Staff pages speak of "what you saved"; a POST to the portal's appeal form, of the appeal.
STAFF_PREFIXES = ("/staff/", "/admin/")
APPEAL_PATH = "/appeal/"


def _language(request: HttpRequest) -> str:
    try:
        return translation.get_language_from_request(request, check_path=True)
    except Exception:  # noqa: BLE001 - an error page must not fail
        return translation.get_language() or "ru"


def _is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith(API_PREFIX)


def _json(status: int, code: str, message: str) -> HttpResponse:
    body = json.dumps({"error": {"code": code, "message": str(message)}}, ensure_ascii=False)
    return HttpResponse(body, status=status, content_type="application/json; charset=utf-8")


def _staff(request: HttpRequest) -> bool:
    path = request.path_info
    return any(prefix in path for prefix in STAFF_PREFIXES)


def unavailable_response(request: HttpRequest, error: BaseException | None = None
                         ) -> HttpResponse:
    """503 with Retry-After: the database or the key store did not answer."""
    # The type only: a database error's message can quote what was sent.
    logger.warning("database unavailable (%s) in %s %s",
                   type(error).__name__ if error else "?", request.method, request.path)
    seconds = retry_after_seconds()
    with translation.override(_language(request)):
        if _is_api(request):
            response = _json(503, "unavailable", API_MESSAGE)
        else:
            response = HttpResponse(render_to_string("web/unavailable.html", {
                "language": translation.get_language(), "staff": _staff(request),
                "sent": request.method == "POST" and APPEAL_PATH in request.path_info,
                "seconds": seconds,
            }), status=503)
    response["Retry-After"] = str(seconds)
    response["Cache-Control"] = "no-store"
    return response


def too_large_response(request: HttpRequest, limit: int) -> HttpResponse:
    """413: the body is larger than the app reads (its Content-Length said so)."""
    with translation.override(_language(request)):
        megabytes = max(limit // 1024**2, 1)
        message = _("The request is too large: at most %(max)s MB can be sent at once. "
                    "Send fewer or smaller files.") % {"max": megabytes}
        if _is_api(request):
            return _json(413, "too_large", message)
        return HttpResponse(render_to_string("web/too_large.html", {
            "language": translation.get_language(), "message": message}), status=413)


def server_error(request: HttpRequest, *args, **kwargs) -> HttpResponse:
    """``handler500``: a database outage anywhere in the request (also in the middleware
    around the views, which DatabaseOutageMiddleware does not see) is a 503; anything
    else is Django's plain 500 page (JSON under /api/)."""
    error = sys.exc_info()[1]
    if is_outage(error):
        return unavailable_response(request, error)
    if _is_api(request):
        with translation.override(_language(request)):
            return _json(500, "internal_error",
                         _("Something went wrong on our side. Please try again later."))
    return defaults.server_error(request, *args, **kwargs)
