from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "casedesk.core"
    verbose_name = _("Reference data")

    def ready(self) -> None:
        from . import checks  # noqa: F401 - registers the key checks
