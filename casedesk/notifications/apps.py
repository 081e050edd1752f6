from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "casedesk.notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from casedesk.core import hooks

        from . import handlers

        hooks.subscribe("appeal_acknowledged", handlers.on_appeal_acknowledged,
                        many=handlers.on_appeals_acknowledged)
        hooks.subscribe("case_moved", handlers.on_case_moved)
        hooks.subscribe("answer_signed", handlers.on_answer_signed)
