"""Makes the client address of the current request available to ``audit_record``."""

from .services import current_ip, request_ip


class AuditContextMiddleware:
    """Sets ``services.current_ip`` for the duration of each request, so that services
    called from a view record where the request came from without an extra argument."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = current_ip.set(request_ip(request))
        try:
            return self.get_response(request)
        finally:
            current_ip.reset(token)
