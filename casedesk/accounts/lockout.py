"""A limit on failed sign-ins per account, from every address together (issue 15,
finding 10; ASVS 5.0 V6.3.1).

django-axes locks a username *and* address pair after ``AXES_FAILURE_LIMIT`` failures
(5). Someone trying passwords for one account from many addresses never reaches that, so
``AccountLimitBackend`` (after axes' own backend in ``AUTHENTICATION_BACKENDS``) also
refuses every sign-in to an account that has had ``CASEDESK_ACCOUNT_FAILURE_LIMIT`` (10)
failures from all addresses together within axes' cool-off (15 minutes). It counts axes'
own records (``AccessAttempt``), so nothing else is stored; a success from one address
does not clear the failures from the others. The refusal is axes' lockout page (status
429) saying that the account, not the address, is blocked.

The price: anyone can keep an account blocked by failing ten times every quarter of an
hour. An administrator lifts it with ``manage.py axes_reset_username <username>``.
"""

from __future__ import annotations

from django.conf import settings
from django.db.models import Sum
from django.utils import timezone


def account_failures(username: str) -> int:
    """Failed sign-ins for ``username`` within the cool-off, from every address."""
    from axes.models import AccessAttempt

    from .auth_views import _cooloff

    since = timezone.now() - _cooloff()
    total = (AccessAttempt.objects.filter(username=username, attempt_time__gte=since)
             .aggregate(total=Sum("failures_since_start"))["total"])
    return total or 0


def account_locked(username: str | None) -> bool:
    limit = settings.CASEDESK_ACCOUNT_FAILURE_LIMIT
    return bool(username) and limit > 0 and account_failures(username) >= limit


class AccountLimitBackend:
    """Signs no one in; refuses an account over its limit (see the module docstring)."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None or not settings.AXES_ENABLED:
            return None
        if account_locked(username):
            from axes.exceptions import AxesBackendPermissionDenied

            # axes' middleware turns the flag into its lockout response (our
            # ``auth_views.lockout``); the flag also keeps axes from counting this try.
            request.axes_locked_out = True
            request.axes_credentials = {"username": username}
            request.casedesk_account_locked = True
            raise AxesBackendPermissionDenied("too many failed sign-ins for this account")
        return None
