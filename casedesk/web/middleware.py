"""Responses that may carry personal data are never stored by browsers or proxies."""

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
            add_never_cache_headers(response)
            patch_cache_control(response, no_store=True, private=True)
        return response
