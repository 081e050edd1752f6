"""Responses that may carry personal data are never stored by browsers or proxies; the
client's address behind a trusted proxy."""

import contextlib

from django.utils.cache import add_never_cache_headers, patch_cache_control


class NoStoreForPeopleMiddleware:
    """Staff pages, the API and the applicant's pages: ``Cache-Control: no-store``.
    The public home page and static files stay cacheable."""

    PRIVATE = ("/staff/", "/status/", "/appeal/", "/admin/", "/api/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        path = request.path_info
        # No user when a middleware further in answered first (a Host header not in
        # ALLOWED_HOSTS gets its 400 before authentication runs).
        user = getattr(request, "user", None)
        if (user is not None and user.is_authenticated) or any(
                part in path for part in self.PRIVATE):
            control = response.get("Cache-Control", "")
            if "no-store" in control and "private" in control and "Expires" in response:
                return response  # the view said so already (the API's receipts)
            add_never_cache_headers(response)
            patch_cache_control(response, no_store=True, private=True)
        return response


class TrustedProxyMiddleware:
    """Behind a load balancer or reverse proxy, ``REMOTE_ADDR`` is the proxy's address.
    When the request comes from one of ``CASEDESK_TRUSTED_PROXIES`` (addresses or
    networks), the client is the right-most address of ``X-Forwarded-For`` that is not
    itself a trusted proxy, and ``REMOTE_ADDR`` is set to it, so that the rate limits,
    the login lockout and the audit log see the client. From anywhere else the header is
    ignored (a client could write anything in it). Must come first in MIDDLEWARE."""

    def __init__(self, get_response):
        import ipaddress

        from django.conf import settings

        self.get_response = get_response
        self.proxies = [ipaddress.ip_network(value.strip(), strict=False)
                        for value in settings.CASEDESK_TRUSTED_PROXIES
                        if value.strip()]

    def _trusted(self, address: str) -> bool:
        import ipaddress

        try:
            ip = ipaddress.ip_address(address.strip())
        except ValueError:
            return False
        return any(ip in network for network in self.proxies)

    def __call__(self, request):
        remote = request.META.get("REMOTE_ADDR", "")
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if self.proxies and forwarded and self._trusted(remote):
            import ipaddress

            for hop in reversed([h.strip() for h in forwarded.split(",") if h.strip()]):
                if self._trusted(hop):
                    continue
                # Not an address: the proxy's is kept rather than trusting garbage.
                with contextlib.suppress(ValueError):
                    request.META["REMOTE_ADDR"] = str(ipaddress.ip_address(hop))
                break
        return self.get_response(request)


class RequestSizeMiddleware:
    """A request whose ``Content-Length`` is above ``CASEDESK_MAX_REQUEST_BYTES`` is
    answered 413, in the language of the request (JSON under /api/), before anything reads
    its body: uploads are kept in memory (settings: FILE_UPLOAD_HANDLERS), and this bounds
    that memory. Comes after LocaleMiddleware and before CsrfViewMiddleware (which reads
    the body of a POST)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.conf import settings

        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0  # Django reads no body then
        limit = int(settings.CASEDESK_MAX_REQUEST_BYTES)
        if length > limit:
            from .errors import too_large_response

            return too_large_response(request, limit)
        return self.get_response(request)


class DatabaseOutageMiddleware:
    """A view that fails because the database or the key store does not answer gets a
    503 with ``Retry-After`` and a page (or JSON under /api/) in the request's language
    saying that what was sent may have been received and that sending it again is safe
    (:mod:`casedesk.core.outage`). Failures in the middleware around the views (the
    session, the user) reach ``casedesk.web.errors.server_error`` (``handler500``),
    which answers the same."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        from casedesk.core.outage import is_outage

        if not is_outage(exception):
            return None
        from .errors import unavailable_response

        return unavailable_response(request, exception)


class ApiMiddleware:
    """Requests under ``/api/`` go through their own, shorter chain of middleware
    (``settings.API_MIDDLEWARE``); everything else goes on through ``MIDDLEWARE``.

    The API takes no cookies, no session, no login and no form, so the session, CSRF,
    authentication, second factor, login lockout, messages and htmx middleware have
    nothing to do there; together they cost about a tenth of a public appeal's server
    CPU (bench/intake.py at 1M cases: 2.6 ms an appeal with them, 2.3 without). Its
    responses are JSON, never a document: instead of the pages' content security policy
    they get one that allows nothing. Comes right after TrustedProxyMiddleware, so that
    the client's address is known to both chains."""

    PREFIX = "/api/"
    POLICY = "default-src 'none'; frame-ancestors 'none'"

    def __init__(self, get_response):
        from django.conf import settings

        self.get_response = get_response
        self.api = _Chain(settings.API_MIDDLEWARE).handler

    def __call__(self, request):
        if not request.path_info.startswith(self.PREFIX):
            return self.get_response(request)
        response = self.api(request)
        response.headers.setdefault("Content-Security-Policy", self.POLICY)
        return response


class _Chain:
    """A chain of (synchronous) middleware around Django's own view call, as the request
    handler builds from MIDDLEWARE, for ``ApiMiddleware``. Views, URL resolution and the
    middleware's view and exception hooks run as in the main chain."""

    def __init__(self, paths: list[str]) -> None:
        from django.core.exceptions import MiddlewareNotUsed
        from django.core.handlers.base import BaseHandler
        from django.core.handlers.exception import convert_exception_to_response
        from django.utils.module_loading import import_string

        base = BaseHandler()
        base._view_middleware, base._template_response_middleware = [], []
        base._exception_middleware = []
        handler = convert_exception_to_response(base._get_response)
        for path in reversed(paths):
            try:
                instance = import_string(path)(handler)
            except MiddlewareNotUsed:
                continue
            if hasattr(instance, "process_view"):
                base._view_middleware.insert(0, instance.process_view)
            if hasattr(instance, "process_template_response"):
                base._template_response_middleware.append(instance.process_template_response)
            if hasattr(instance, "process_exception"):
                base._exception_middleware.append(instance.process_exception)
            handler = convert_exception_to_response(instance)
        self.handler = handler
