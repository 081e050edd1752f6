from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "casedesk.notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from casedesk.core import hooks

        from . import attention, checks, handlers  # noqa: F401 - checks registers itself

        # The notices are outbox rows written in the transaction that owes them.
        hooks.subscribe("appeal_acknowledged", handlers.on_appeal_acknowledged,
                        many=handlers.on_appeals_acknowledged, in_transaction=True)
        hooks.subscribe("case_moved", handlers.on_case_moved, in_transaction=True)
        hooks.subscribe("case_event", attention.on_case_event, in_transaction=True)
        hooks.subscribe("access_code_recovered", handlers.on_access_code_recovered,
                        in_transaction=True)
        hooks.subscribe("answer_signed", handlers.on_answer_signed, in_transaction=True)
        hooks.subscribe("cases_erased", handlers.on_cases_erased, in_transaction=True)
        hooks.subscribe("letter_generated", handlers.on_letter_generated,
                        in_transaction=True)
        hooks.subscribe("access_code_reissued", handlers.on_access_code_reissued,
                        in_transaction=True)
