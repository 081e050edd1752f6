"""Receivers for Django's authentication signals (connected in ``AuditConfig.ready``).

Nothing from the credentials is recorded: a username may itself be personal data, and a
failed login often carries someone's password typed into the username field.
"""

from .models import ActorKind
from .services import audit_record, request_ip


def on_logged_in(sender, request, user, **kwargs) -> None:
    audit_record(action="login", actor=user, actor_kind=ActorKind.STAFF,
                 object_type="user", object_id=str(user.pk), ip=request_ip(request))


def on_logged_out(sender, request, user, **kwargs) -> None:
    if user is not None and user.is_authenticated:
        audit_record(action="logout", actor=user, actor_kind=ActorKind.STAFF,
                     object_type="user", object_id=str(user.pk), ip=request_ip(request))
    else:
        audit_record(action="logout", actor_kind=ActorKind.ANONYMOUS, ip=request_ip(request))


def on_login_failed(sender, credentials, request=None, **kwargs) -> None:
    audit_record(action="login_failed", actor_kind=ActorKind.ANONYMOUS, ip=request_ip(request))


def on_post_migrate(sender, using="default", **kwargs) -> None:
    from django.db import router

    from .db import app_role_restrict_configured
    from .models import AuditEntry

    if router.allow_migrate_model(using, AuditEntry):  # not the key store
        app_role_restrict_configured(using)
