"""Changes to offices' registers (services write, selectors read: STYLE.md)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from casedesk.core import crypto
from casedesk.core.errors import ApplicationError

from .models import (
    EnrolmentCode,
    Office,
    PasswordResetRequest,
    RegisterCounter,
    RegisterDirection,
    SecondFactorDevice,
    User,
)
from .roles import Role


def format_register_number(office_code: str, year: int, sequence: int) -> str:
    """An entry of an office's register: ``MSK/2026/00012``. Printed after "вх. №" or
    "исх. №" ("In. No.", "Out. No."), which say which register it is."""
    return f"{office_code}/{year}/{sequence:05d}"


def register_number_next(*, office: Office, direction: str, on: dt.date) -> str:
    """The next number of the office's incoming or outgoing register for the year of
    ``on``. Runs in the caller's transaction; the counter row stays locked until it
    commits, so no number is given twice and none is lost to a rollback."""
    if direction not in RegisterDirection.values:
        raise ValueError(f"unknown register direction {direction!r}")
    with transaction.atomic(savepoint=False):
        counters = RegisterCounter.objects.select_for_update()
        counter = counters.filter(office=office, direction=direction, year=on.year).first()
        if counter is None:
            RegisterCounter.objects.get_or_create(office=office, direction=direction,
                                                  year=on.year)
            counter = counters.get(office=office, direction=direction, year=on.year)
        counter.last += 1
        counter.save(update_fields=["last"])
    return format_register_number(office.code, on.year, counter.last)


# --- the second factor and password resets (issue 15, findings 1 and 5) --------------------
#
# Enrolment codes: an administrator issues one out of band; the person types it before an
# authenticator can be enrolled, so a password alone never adds a device. Password
# resets: an administrator's new password for another account takes effect only when a
# second administrator approves it, and the owner is emailed. Each step is audited.


def is_administrator(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active
                and (user.is_superuser or user.role == Role.ADMINISTRATOR))


def _require_administrator(actor) -> None:
    if not is_administrator(actor):
        raise ApplicationError("not_administrator",
                               _("Only an administrator may do this."))


def _enrolment_hash(code: str) -> str:
    from casedesk.core.secrets import access_code_normalise, key_hash

    return key_hash("enrolment-code:" + access_code_normalise(code))


def enrolment_code_issue(*, user: User, actor) -> tuple[str, dt.datetime]:
    """A new enrolment code for ``user`` (shown once to the administrator, never stored)
    and when it expires; earlier unused codes of the person stop working."""
    from casedesk.audit.services import audit_record
    from casedesk.core.secrets import access_code_new

    _require_administrator(actor)
    code = access_code_new()
    now = timezone.now()
    expires = now + dt.timedelta(hours=settings.CASEDESK_ENROLMENT_CODE_HOURS)
    with transaction.atomic():
        EnrolmentCode.objects.filter(user=user, used_at__isnull=True,
                                     expires_at__gt=now).update(expires_at=now)
        EnrolmentCode.objects.create(user=user, code_hash=_enrolment_hash(code),
                                     issued_by=actor, issued_at=now, expires_at=expires)
        audit_record(action="otp.enrolment_code_issued", actor=actor, object_type="user",
                     object_id=user.pk, data={"user": user.pk})
    return code, expires


def enrolment_code_valid(*, user: User) -> bool:
    """Whether ``user`` has an enrolment code that is issued, unused and unexpired."""
    return EnrolmentCode.objects.filter(user=user, used_at__isnull=True,
                                        expires_at__gt=timezone.now()).exists()


def enrolment_code_redeem(*, user: User, code: str) -> None:
    """Use up ``user``'s enrolment ``code``; ``ApplicationError`` if it is wrong, used or
    expired (the same message for all three)."""
    from casedesk.audit.services import audit_record

    now = timezone.now()
    with transaction.atomic():
        row = (EnrolmentCode.objects.select_for_update()
               .filter(user=user, code_hash=_enrolment_hash(code)).first())
        if row is None or row.used_at is not None or row.expires_at <= now:
            result = ("wrong" if row is None else "used" if row.used_at else "expired")
            audit_record(action="otp.enrolment_code_refused", actor=user,
                         object_type="user", object_id=user.pk, data={"result": result})
            refused = True
        else:
            row.used_at = now
            row.save(update_fields=["used_at"])
            audit_record(action="otp.enrolment_code_used", actor=user, object_type="user",
                         object_id=user.pk, data={"user": user.pk})
            refused = False
    if refused:
        raise ApplicationError(
            "enrolment_code_refused",
            _("This enrolment code is not right, already used or expired. Check it, or "
              "ask your administrator for a new one."))


def device_confirm(*, user: User, device: SecondFactorDevice) -> None:
    """The person has typed a right code from the new authenticator: it becomes their
    only one (the keys of the old ones are destroyed)."""
    from casedesk.audit.services import audit_record

    with transaction.atomic():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        devices_remove(user=user, actor=user, keep=device)
        audit_record(action="otp.enrolled", actor=user, object_type="otp_device",
                     object_id=device.pk, data={"user": user.pk})


def devices_remove(*, user: User, actor, keep: SecondFactorDevice | None = None) -> int:
    """Delete ``user``'s authenticators (but ``keep``) and destroy their secrets' keys."""
    from casedesk.audit.services import audit_record

    old = SecondFactorDevice.objects.filter(user=user)
    if keep is not None:
        old = old.exclude(pk=keep.pk)
    rows = list(old.values_list("pk", "key_id"))
    if not rows:
        return 0
    with transaction.atomic():
        SecondFactorDevice.objects.filter(pk__in=[pk for pk, _key in rows]).delete()
        crypto.keys_destroy([key for _pk, key in rows])
        audit_record(action="otp.devices_removed", actor=actor, object_type="user",
                     object_id=user.pk, data={"user": user.pk, "count": len(rows)})
    return len(rows)


def password_reset_request(*, actor, user: User, password: str) -> PasswordResetRequest:
    """An administrator's new password for another person's account, pending a second
    administrator's approval (``password_reset_approve``). Earlier pending requests for
    the account are cancelled."""
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.password_validation import validate_password

    from casedesk.audit.services import audit_record

    _require_administrator(actor)
    if actor.pk == user.pk:
        raise ApplicationError("own_password",
                               _("Change your own password on the password change page."))
    validate_password(password, user)
    now = timezone.now()
    with transaction.atomic():
        PasswordResetRequest.objects.filter(
            user=user, approved_at__isnull=True, cancelled_at__isnull=True
        ).update(cancelled_at=now)
        reset = PasswordResetRequest.objects.create(
            user=user, password_hash=make_password(password), requested_by=actor,
            requested_at=now)
        audit_record(action="password.reset_requested", actor=actor, object_type="user",
                     object_id=user.pk, data={"request": reset.pk, "user": user.pk})
    return reset


def password_reset_approve(*, actor, reset: PasswordResetRequest) -> None:
    """A second administrator approves ``reset``: the new password is set, the account's
    sessions end and its owner is emailed (without the password)."""
    from casedesk.audit.services import audit_record

    _require_administrator(actor)
    with transaction.atomic():
        reset = PasswordResetRequest.objects.select_for_update().get(pk=reset.pk)
        if not reset.pending:
            raise ApplicationError("reset_not_pending",
                                   _("This password reset is no longer pending."))
        if reset.requested_by_id == actor.pk:
            raise ApplicationError(
                "reset_same_administrator",
                _("A second administrator must approve a password reset, not the one who "
                  "asked for it."))
        now = timezone.now()
        hours = settings.CASEDESK_RESET_REQUEST_HOURS
        if reset.requested_at < now - dt.timedelta(hours=hours):
            reset.cancelled_at = now
            reset.save(update_fields=["cancelled_at"])
            audit_record(action="password.reset_expired", actor=actor, object_type="user",
                         object_id=reset.user_id, data={"request": reset.pk})
            expired = True
        else:
            expired = False
            user = User.objects.select_for_update().get(pk=reset.user_id)
            user.password = reset.password_hash
            user.save(update_fields=["password"])
            reset.approved_by, reset.approved_at = actor, now
            reset.save(update_fields=["approved_by", "approved_at"])
            audit_record(action="password.reset_approved", actor=actor, object_type="user",
                         object_id=user.pk, data={"request": reset.pk, "user": user.pk,
                                                  "requested_by": reset.requested_by_id})
            transaction.on_commit(lambda: _after_reset(user.pk))
    if expired:
        raise ApplicationError("reset_expired", _(
            "This password reset waited too long and has expired. Ask for a new one."))


def _after_reset(user_id: int) -> None:
    """After an approved reset: end the account's sessions, tell its owner."""
    import logging

    from .auth_views import sessions_end_for

    user = User.objects.get(pk=user_id)
    sessions_end_for(user)
    try:
        password_reset_notice_send(user=user)
    except Exception:  # the reset stands; the failure is logged without the address
        logging.getLogger(__name__).exception("password reset notice to user %s failed",
                                              user_id)


def password_reset_notice_send(*, user: User) -> bool:
    """Email the owner that their password was reset by administrators, in their
    language (the account's, else the site's); never the password. False without an
    address."""
    from django.core.mail import send_mail
    from django.template.loader import render_to_string
    from django.utils import translation

    if not user.email:
        return False
    language = user.language or settings.LANGUAGE_CODE
    with translation.override(language):
        subject = str(_("casedesk: the password of your account was reset"))
        body = render_to_string("accounts/password_reset_notice.txt",
                                {"user": user, "now": timezone.now()})
    send_mail(subject, body, None, [user.email])
    return True
