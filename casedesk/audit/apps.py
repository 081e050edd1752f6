from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "casedesk.audit"
    verbose_name = _("Audit log")

    def ready(self) -> None:
        # Django's own authentication events arrive only as signals; everything else is
        # recorded by explicit audit_record() calls in services and views.
        from django.contrib.auth import signals

        from . import receivers

        signals.user_logged_in.connect(receivers.on_logged_in, dispatch_uid="audit.login")
        signals.user_logged_out.connect(receivers.on_logged_out, dispatch_uid="audit.logout")
        signals.user_login_failed.connect(
            receivers.on_login_failed, dispatch_uid="audit.login_failed"
        )
