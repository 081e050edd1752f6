from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "casedesk.audit"
    verbose_name = _("Audit log")

    def ready(self) -> None:
        # Django's own authentication events arrive only as signals; everything else is
        # recorded by explicit audit_record() calls in services and views.
        from django.contrib.auth import signals

        from . import keys, receivers  # noqa: F401 - keys registers its system check

        signals.user_logged_in.connect(receivers.on_logged_in, dispatch_uid="audit.login")
        signals.user_logged_out.connect(receivers.on_logged_out, dispatch_uid="audit.logout")
        signals.user_login_failed.connect(
            receivers.on_login_failed, dispatch_uid="audit.login_failed"
        )
        # A DBA's later GRANT ALL ON ALL TABLES would give the application's role UPDATE and
        # DELETE on the audit table again: every migrate takes them back (audit/db.py).
        from django.db.models.signals import post_migrate

        post_migrate.connect(receivers.on_post_migrate, sender=self,
                             dispatch_uid="audit.app_role_restrict")
