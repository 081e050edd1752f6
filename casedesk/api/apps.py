from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    """Installed only so that Django finds the API's message catalogue (``api/locale``)."""

    name = "casedesk.api"
    verbose_name = _("Public API")
