"""A page that says a data key is missing, instead of a blank case or a bare 500.

When the key store is older than the data (restored in the wrong order), reading the
newest cases raises :class:`casedesk.core.crypto.KeyNotInStore`. Staff get a page naming
the case numbers and the person's id (nothing personal), so that they can tell the
administrator which records are affected; anyone else gets the same page without them.
The error is logged with the same ids. The status is 500: nothing the user can do fixes
it, and nothing is shown as if it had been erased.
"""

from __future__ import annotations

import logging

from django.http import JsonResponse
from django.template.response import TemplateResponse

from .crypto import KeyNotInStore

logger = logging.getLogger("casedesk.keys")


class KeyNotInStoreMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, KeyNotInStore):
            return None
        owners = exception.owners
        logger.error("data key %s of %s is missing from the key store (read from %s)",
                     exception.key_id, owners or "an unknown record", exception.where or "?")
        user = getattr(request, "user", None)
        staff = bool(user is not None and user.is_authenticated
                     and getattr(user, "role", ""))
        if "/api/" in request.path:
            return JsonResponse({"error": "data_key_missing"}, status=500)
        response = TemplateResponse(
            request, "core/key_missing.html",
            {"owners": owners if staff else "", "key_id": exception.key_id if staff else ""},
            status=500)
        response["Cache-Control"] = "no-store"
        return response.render()
