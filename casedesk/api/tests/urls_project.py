"""The API mounted the way casedesk/config/urls.py mounts it: outside ``i18n_patterns``,
next to language-prefixed pages (stand-ins here: the API may not import the config), so
LocaleMiddleware must neither prefix nor redirect it."""

from django.conf.urls.i18n import i18n_patterns
from django.http import HttpResponse
from django.urls import path

from casedesk.api.v1.api import api


def page(request, **kwargs):
    return HttpResponse("page")


urlpatterns = [path("api/v1/", api.urls)]
# Like the portal and staff pages. (A catch-all such as "<path:...>" here would make
# LocaleMiddleware answer the API's 404s with a redirect to /ru/api/...: never add one.)
urlpatterns += i18n_patterns(path("", page), path("status/", page),
                             path("cases/<str:number>/", page))
