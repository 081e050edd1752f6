from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntakeConfig(AppConfig):
    name = "casedesk.intake"
    verbose_name = _("Intake")

    def ready(self) -> None:
        from django.core.signals import setting_changed
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from casedesk.accounts.models import Office

        from . import routing

        # An office or its regions changed (the admin, the demo, a test): route the next
        # appeal of this process by the new settings (other processes within MAX_AGE).
        uid = "casedesk.intake.routing.offices_forget"
        post_save.connect(routing.offices_forget, sender=Office, dispatch_uid=uid)
        post_delete.connect(routing.offices_forget, sender=Office, dispatch_uid=uid)
        m2m_changed.connect(routing.offices_forget, sender=Office.regions.through,
                            dispatch_uid=uid)
        setting_changed.connect(routing.offices_forget, dispatch_uid=uid)  # (tests)
