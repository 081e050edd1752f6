from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class UrgencyConfig(AppConfig):
    name = "casedesk.urgency"
    verbose_name = _("Urgency")

    def ready(self) -> None:
        from casedesk.core import hooks

        from . import services

        # New cases (intake.services.after_receipt): read their appeals in a task of ours.
        hooks.subscribe("cases_opened", services.evaluate_later, in_transaction=True)
