from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StatsConfig(AppConfig):
    name = "casedesk.stats"
    verbose_name = _("Statistics")

    def ready(self) -> None:
        from casedesk.core import hooks

        from . import tasks

        # After a case moves (and the move committed), queue one delayed rebuild of the
        # figures; see tasks.refresh_soon for why and how often.
        hooks.subscribe("case_moved", tasks.on_case_moved)
        # A corrected category changes the figures too (they count the current category).
        hooks.subscribe("case_reclassified", tasks.on_case_moved)
