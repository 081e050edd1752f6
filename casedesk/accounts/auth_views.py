"""Staff sign-in beyond the password: two-factor login (TOTP), the lockout page after too
many failed sign-ins, and "sign out everywhere".

Two-factor login (ASVS 5.0 V6.4-V6.6)
-------------------------------------
After the password, ``RequireSecondFactorMiddleware`` sends a signed-in person whose
session is not verified by django-otp to the code page (or, without a confirmed device,
to the enrolment page) from every page except those in ``OPEN_VIEWS``: the staff pages,
the admin and the API alike (deny by default). ``CASEDESK_OTP_REQUIRED = False`` turns
it off (the test suite does, for tests that sign in with ``force_login``).

The first device needs, besides the password, a one-time enrolment code that an
administrator issued out of band (``services.enrolment_code_issue``; issue 15, finding
5): the enrolment page asks for it before it shows any secret, and marks the session
once it is accepted. A further device (a new phone) needs a verified session, or a new
enrolment code when the old phone is lost; confirming it removes the old ones. Wrong
codes are throttled per device by django-otp (the wait doubles after each failure).
Devices are ``accounts.SecondFactorDevice``: their secrets are sealed at rest.

Sign out everywhere
-------------------
Sessions are in the database; Django cannot look them up by user, so
``sessions_end_for`` decodes every unexpired session row. That costs one decode per
active session of *all* users (milliseconds for a few thousand) and happens only when a
person presses the button.
"""

from __future__ import annotations

import base64
from io import BytesIO

import qrcode
import qrcode.image.svg
from django import forms
from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.contrib.sessions.models import Session
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp import user_has_device

from casedesk.audit.services import audit_record
from casedesk.core.errors import ApplicationError

from . import services
from .models import SecondFactorDevice

# The session key that says an enrolment code was accepted (the user's id).
ENROLMENT_SESSION_KEY = "casedesk_enrolment_code_ok"

# Views a signed-in but unverified person may reach (by URL name).
OPEN_VIEWS = frozenset({
    "staff:login", "staff:logout", "accounts:otp_verify", "accounts:otp_enrol",
    "set_language",
})


def otp_required() -> bool:
    return settings.CASEDESK_OTP_REQUIRED


class RequireSecondFactorMiddleware:
    """Put it after ``django_otp.middleware.OTPMiddleware``."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (otp_required() and user is not None and user.is_authenticated
                and not user.is_verified()):
            try:
                name = resolve(request.path_info).view_name
            except Resolver404:
                name = None  # a 404 either way
            if name is not None and name not in OPEN_VIEWS:
                target = "accounts:otp_verify" if user_has_device(user) else "accounts:otp_enrol"
                return HttpResponseRedirect(
                    reverse(target) + "?" + urlencode({"next": request.get_full_path()}))
        return self.get_response(request)


def _next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                       require_https=request.is_secure()):
        return target
    return resolve_url(settings.LOGIN_REDIRECT_URL)


class TokenForm(forms.Form):
    otp_token = forms.CharField(
        label=gettext_lazy("Code from the authenticator app"), min_length=6, max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric",
                                      "pattern": "[0-9]*", "autofocus": True}))

    def clean_otp_token(self):
        return "".join(self.cleaned_data["otp_token"].split())


def _no_store(response):
    response["Cache-Control"] = "no-store"
    return response


@login_required
def otp_verify(request):
    user = request.user
    if user.is_verified():
        return redirect(_next(request))
    devices = list(SecondFactorDevice.objects.devices_for_user(user, confirmed=True))
    if not devices:
        return redirect(reverse("accounts:otp_enrol") + "?" + urlencode({"next": _next(request)}))
    form = TokenForm(request.POST or None)
    error = None
    if request.method == "POST" and form.is_valid():
        token = form.cleaned_data["otp_token"]
        for device in devices:
            allowed, _info = device.verify_is_allowed()
            if not allowed:
                error = _("Too many wrong codes. Wait a minute and try again.")
                continue
            if device.verify_token(token):
                otp_login(request, device)
                audit_record(action="login.second_factor", actor=user,
                             data={"result": "ok"})
                return redirect(_next(request))
        audit_record(action="login.second_factor", actor=user, data={"result": "failed"})
        error = error or _("This code is not right. Enter the current code from the app.")
    return _no_store(render(request, "accounts/otp_verify.html", {
        "form": form, "error": error, "next": _next(request)}, status=400 if error else 200))


def qr_svg(text: str) -> str:
    """The QR code of ``text`` as inline SVG markup: no style attributes (CSP), black on
    a white rectangle so that it scans in dark mode too."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathFillImage, box_size=10,
                        border=4)
    buffer = BytesIO()
    image.save(buffer)
    svg = buffer.getvalue().decode()
    if svg.startswith("<?xml"):
        svg = svg[svg.index("?>") + 2:]
    return svg


class EnrolmentCodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Enrolment code from your administrator"), max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autofocus": True,
                                      "autocapitalize": "characters"}))


def _enrolment_code_step(request):
    """The first step of enrolment: the code an administrator issued (see above)."""
    user = request.user
    form = EnrolmentCodeForm(request.POST or None)
    error = None
    if request.method == "POST" and form.is_valid():
        try:
            services.enrolment_code_redeem(user=user, code=form.cleaned_data["code"])
        except ApplicationError as exc:
            error = str(exc)
        else:
            request.session[ENROLMENT_SESSION_KEY] = user.pk
            return redirect(reverse("accounts:otp_enrol") + "?" + urlencode(
                {"next": _next(request)}))
    return _no_store(render(request, "accounts/otp_enrol_code.html", {
        "form": form, "error": error, "next": _next(request),
        "has_device": user_has_device(user)}, status=400 if error else 200))


@login_required
def otp_enrol(request):
    user = request.user
    code_accepted = request.session.get(ENROLMENT_SESSION_KEY) == user.pk
    if not user.is_verified() and not code_accepted:
        if user_has_device(user) and not services.enrolment_code_valid(user=user) \
                and request.method == "GET" and "code" not in request.GET:
            # A new device needs the old one (or a new enrolment code): the password
            # alone must not add a device.
            return redirect(reverse("accounts:otp_verify") + "?" + urlencode(
                {"next": request.path}))
        return _enrolment_code_step(request)
    device = (SecondFactorDevice.objects.filter(user=user, confirmed=False)
              .order_by("-pk").first()
              or SecondFactorDevice.objects.create(user=user, name="totp", confirmed=False))
    form = TokenForm(request.POST or None)
    error = None
    if request.method == "POST" and form.is_valid():
        if not device.verify_is_allowed()[0]:
            error = _("Too many wrong codes. Wait a minute and try again.")
        elif device.verify_token(form.cleaned_data["otp_token"]):
            services.device_confirm(user=user, device=device)
            request.session.pop(ENROLMENT_SESSION_KEY, None)
            otp_login(request, device)
            return redirect(_next(request))
        else:
            error = _("This code is not right. Check the time on the phone and enter "
                      "the current code.")
    uri = device.config_url
    return _no_store(render(request, "accounts/otp_enrol.html", {
        "form": form, "error": error, "uri": uri, "qr": mark_safe(qr_svg(uri)),  # noqa: S308 - our own SVG
        "secret": base64.b32encode(device.bin_key).decode(),
        "next": _next(request)}, status=400 if error else 200))


def sessions_end_for(user) -> int:
    """Delete every stored session of ``user``; returns how many (see module docstring)."""
    ended = []
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        data = session.get_decoded()  # {} for a session that cannot be read
        if data.get("_auth_user_id") == str(user.pk):
            ended.append(session.pk)
    Session.objects.filter(pk__in=ended).delete()
    return len(ended)


@login_required
@require_POST
def logout_everywhere(request):
    user = request.user
    count = sessions_end_for(user)
    audit_record(action="logout.everywhere", actor=user, data={"count": count})
    logout(request)
    return redirect(settings.LOGIN_URL)


def lockout(request, original_response=None, credentials=None):
    """django-axes' response after too many failed sign-ins (``AXES_LOCKOUT_CALLABLE``):
    a page that says so, with status 429, instead of a bare error."""
    minutes = int(_cooloff().total_seconds() // 60)
    account = getattr(request, "casedesk_account_locked", False)  # accounts.lockout
    return _no_store(render(request, "accounts/locked_out.html",
                            {"minutes": minutes, "account": account}, status=429))


def _cooloff():
    import datetime as dt

    value = settings.AXES_COOLOFF_TIME
    if isinstance(value, int | float):
        value = dt.timedelta(hours=value)
    return value
