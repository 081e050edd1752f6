from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RulebookConfig(AppConfig):
    name = "casedesk.rulebook"
    verbose_name = _("Rulebook")

    def ready(self) -> None:
        # A rulebook with an error stops start-up with a message naming file, line and rule.
        from . import load

        load()
