from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

from casedesk.api.v1.api import api as api_v1
from casedesk.web.health import health

# A database outage anywhere in a request is a 503 in the user's language (issue 15, #16).
handler500 = "casedesk.web.errors.server_error"

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", api_v1.urls),
    path("health/", health, name="health"),  # monitoring: no login, nothing personal
]
urlpatterns += i18n_patterns(
    path("admin/", admin.site.urls),
    path("staff/account/", include("casedesk.accounts.urls")),
    # staff/stats/ (the dashboard: its views require a login) and stats/ (public).
    path("", include("casedesk.stats.urls")),
    path("staff/", include("casedesk.staff.urls")),
    path("", include("casedesk.portal.urls")),
)
