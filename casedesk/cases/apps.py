from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "casedesk.cases"
    verbose_name = _("Cases")

    def ready(self) -> None:
        from casedesk.core import crypto

        from .keys import key_owners

        crypto.key_owners_register(key_owners)
