"""The version 1 API object, mounted by ``casedesk.config.urls`` at ``/api/v1/``.

The OpenAPI schema is served at ``/api/v1/openapi.json``. There is no docs page: ninja's
Swagger page loads its scripts from a CDN (or from static files with inline scripts), which
the content security policy forbids; any OpenAPI viewer can read the schema.

No authentication and no CSRF check: the API takes no cookies and sets none (ninja only
checks CSRF for cookie-based authentication, which is not used here).
"""

from django.http import Http404
from ninja import NinjaAPI, Router

from .errors import BoundedJSONParser, CompactJSONRenderer, install_error_handlers
from .public import router as public_router

DESCRIPTION = """
The public API of casedesk: submit an appeal and follow its case without an account.

* Requests and responses are JSON (UTF-8). Request bodies are limited to 64 KiB.
* Messages for people (`stage_text`, timeline texts, error messages) are in the language
  of `Accept-Language`: Russian (`ru`, the default) or English (`en`).
* Every error has the body `{"error": {"code": "...", "message": "..."}}`; `code` is
  stable, `message` is for people. Invalid fields give 422 with the code `invalid` and the
  field names in `fields`.
* Rate limits are per client IP address; a refused request gets 429 and `Retry-After`.
* To follow a case, `POST /public/status` with the number and code in the body; there is
  no `GET` form (a query string ends up in server and proxy logs).
* `OPTIONS` on an endpoint answers 200 with `{"allow": [...]}` and the same list in the
  `Allow` header; a method an endpoint does not serve gets 405 with the JSON error body
  and `Allow`.
"""

api = NinjaAPI(
    title="casedesk public API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api-v1",
    openapi_url="/openapi.json",
    docs_url=None,
    parser=BoundedJSONParser(),
    renderer=CompactJSONRenderer(),
)
install_error_handlers(api)
api.add_router("/public/", public_router)


def unknown_path(request, rest: str):
    raise Http404  # answered as JSON by the error handlers


# Last, so that it only catches what no endpoint matched.
fallback = Router()
fallback.add_api_operation("/{path:rest}",
                           ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
                           unknown_path, include_in_schema=False)
api.add_router("/", fallback)
