from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LettersConfig(AppConfig):
    name = "casedesk.letters"
    verbose_name = _("Letters")

    def ready(self) -> None:
        # A letter template in the rulebook that does not compile or render is reported by
        # `manage.py check` (and so stops `runserver` and `migrate`), naming file and line.
        from . import checks  # noqa: F401
