"""A database outage as the pages and the API answer it: 503 with ``Retry-After``.

When the data database or the key store does not answer (connection refused, closed in
the middle of a request, a restart under way), the request fails with Django's
``OperationalError`` or ``InterfaceError``. That is not the client's fault and not a bug:
the answer is 503 and a short wait (``casedesk.web.middleware.DatabaseOutageMiddleware``
and ``casedesk.web.errors.server_error`` for pages, ``casedesk.api.v1.errors`` for the API).

An appeal sent then may have been stored before the failure (the commit went through and
the answer did not). Sending it again is safe: the portal form and the API carry an
idempotency key, and a repeat with the same key gets the same receipt, never a second
appeal. The messages here say so, in the language of the request.
"""

from __future__ import annotations

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.utils.translation import gettext_lazy as _

OUTAGE_ERRORS = (OperationalError, InterfaceError)

API_MESSAGE = _(
    "The service is briefly unavailable. Your appeal may have been received already: send "
    "the same request again with the same Idempotency-Key after the time in Retry-After; "
    "it will not be registered twice.")


def retry_after_seconds() -> int:
    return settings.CASEDESK_RETRY_AFTER_SECONDS


def is_outage(error: BaseException | None) -> bool:
    """Whether ``error``, or an error it was raised from, is a database outage."""
    seen = 0
    while error is not None and seen < 10:
        if isinstance(error, OUTAGE_ERRORS):
            return True
        # ``raise ... from None`` said the earlier error does not matter any more.
        error = error.__cause__ or (None if error.__suppress_context__ else error.__context__)
        seen += 1
    return False
