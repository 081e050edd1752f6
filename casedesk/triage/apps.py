from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TriageConfig(AppConfig):
    name = "casedesk.triage"
    verbose_name = _("Triage")

    def ready(self) -> None:
        from casedesk.core import hooks

        from . import tasks

        # New cases (intake.services.after_receipt): their suggestions are computed in a
        # task of their own, never on the intake path.
        hooks.subscribe("cases_opened", tasks.on_cases_opened, in_transaction=True)
