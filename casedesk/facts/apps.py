from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FactsConfig(AppConfig):
    name = "casedesk.facts"
    verbose_name = _("Facts from the text")

    def ready(self) -> None:
        from casedesk.core import hooks

        from . import services

        # New cases (intake.services.after_receipt): their facts are read in the
        # background, never on the intake path.
        hooks.subscribe("cases_opened", services.facts_extract_later, in_transaction=True)
