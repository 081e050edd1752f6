"""The public portal: file an appeal, get a receipt, follow the case. No account.

The applicant's case is remembered in the session after they give the case number and
access code, so no identifier or code ever travels in a URL. Pages with personal data are
never cached. Submissions and status checks are rate-limited per client.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django_ratelimit.core import is_ratelimited

from casedesk import rulebook
from casedesk.audit.services import audit_record
from casedesk.cases import documents
from casedesk.core import crypto
from casedesk.core.errors import ApplicationError
from casedesk.intake import public

from . import forms, guide_views
from .offices import office_card, office_card_by_id, office_cards

SESSION_CASE = "portal_case"
SESSION_RECEIPT = "portal_receipt"
SESSION_LAST = "portal_last_submission"
# Between the POST of an appeal and its receipt page the access code waits in the session
# sealed under a one-time key that only the browser holds (this cookie; derived from the
# form's idempotency key, ``_receipt_key``): the session row never holds the code
# readably, and the receipt page removes both.
RECEIPT_KEY_COOKIE = "portal_receipt_key"
RECEIPT_KEY_SECONDS = 600


def _limited(request, group: str, rate: str, key="ip", increment=True) -> bool:
    return is_ratelimited(request, group=group, key=key, rate=rate, method="POST",
                          increment=increment)


def _too_many(request):
    response = render(request, "portal/too_many.html", status=429)
    response["Retry-After"] = "600"
    return response


def upload_hint() -> str:
    kinds = ", ".join(sorted({ext.upper() for ext in documents.ALLOWED_TYPES.values()}))
    return _("Up to %(count)s files: %(kinds)s, each up to %(max)s MB.") % {
        "count": public.MAX_ATTACHMENTS, "kinds": kinds,
        "max": documents.max_upload_bytes() // 1024**2}


def home(request):
    return render(request, "portal/home.html", {
        "book": rulebook.current(), "offices": office_cards(),
        "guide_available": guide_views.guide_of() is not None})


@never_cache
def appeal(request):
    # Opened from the pathways guide's "file an appeal with these answers": the category
    # is pre-filled and the answers go with the appeal (kept in the session, not the form).
    guide = guide_views.attached(request)
    form = forms.AppealForm(request.POST or None, request.FILES or None,
                            initial={"category": guide["category"]} if guide else None)
    error = None
    if request.method == "POST":
        if _limited(request, "portal-submit", settings.CASEDESK_RATE_SUBMIT):
            return _too_many(request)
        if form.is_valid():
            d = form.cleaned_data
            payload = form.payload()
            if guide:  # part of the content: a resend with other answers is another appeal
                payload["guide_answers"] = guide["answers"]
                payload["guide_version"] = guide["version"]
            # Back from the receipt and "send" again: the browser restores the fields but
            # the page gives a new key, so the same content reuses the key it was sent with.
            last = request.session.get(SESSION_LAST) or {}
            key = last["key"] if last.get("fingerprint") == public.fingerprint(payload) \
                else d["key"]
            try:
                receipt = public.appeal_submit(
                    channel="web", idempotency_key=key, payload=payload,
                    applicant=form.applicant(), relation=d["relation"],
                    service_member=form.service_member(), text=d["text"],
                    request=d.get("request", ""), category=d.get("category") or "other",
                    language=request.LANGUAGE_CODE, consent=d["consent"],
                    attachments=form.attachments(), chosen_office=form.chosen_office(),
                    guide_answers=guide["answers"] if guide else None,
                    guide_version=guide["version"] if guide else "",
                )
            except ApplicationError as exc:
                error = str(exc)
            else:
                request.session[SESSION_LAST] = {"key": key,
                                                  "fingerprint": public.fingerprint(payload)}
                one_time = _receipt_key(key)
                request.session[SESSION_RECEIPT] = {
                    "case_number": receipt.case_number,
                    "access_code": Fernet(one_time).encrypt(
                        receipt.access_code.encode()).decode() if receipt.access_code else "",
                    "answer_due": receipt.answer_due.isoformat() if receipt.answer_due else "",
                    "office_id": receipt.office_id,
                }
                response = redirect("portal:receipt")
                response.set_cookie(RECEIPT_KEY_COOKIE, one_time.decode(),
                                    max_age=RECEIPT_KEY_SECONDS, httponly=True,
                                    secure=settings.SESSION_COOKIE_SECURE, samesite="Lax")
                return response
    book = rulebook.current()
    return render(request, "portal/appeal.html", {
        "form": form, "error": error, "upload_hint": upload_hint(),
        "categories": list(book.categories.values()), "offices": office_cards(),
        "guide": guide, "guide_available": guide_views.guide_of() is not None,
    }, status=400 if (error or form.errors) else 200)


@never_cache
def receipt(request):
    """The case number and access code, shown once: a reload shows the number only."""
    data = request.session.get(SESSION_RECEIPT)
    if not data:
        return redirect("portal:status")
    shown = dict(data)
    if data.get("access_code"):
        shown["access_code"] = _receipt_code(data["access_code"],
                                             request.COOKIES.get(RECEIPT_KEY_COOKIE, ""))
        if shown["access_code"]:  # without the browser's key it stays sealed, unread
            request.session[SESSION_RECEIPT] = {**data, "access_code": ""}
    import datetime as dt

    due = dt.date.fromisoformat(shown["answer_due"]) if shown.get("answer_due") else None
    response = render(request, "portal/receipt.html", {
        "receipt": shown, "answer_due": due,
        "office": office_card_by_id(shown.get("office_id"))})
    if RECEIPT_KEY_COOKIE in request.COOKIES:
        response.delete_cookie(RECEIPT_KEY_COOKIE, samesite="Lax")
    return response


def _receipt_key(idempotency_key: str) -> bytes:
    """The one-time key of a submission's receipt (a Fernet key), derived from its
    idempotency key, which only the browser's page holds (the database keeps a keyed hash
    of it): two sendings of the same form at once (a double tap) get the same key, so
    whichever of their cookies the browser keeps opens whichever receipt the session
    kept."""
    raw = crypto.subkey(f"{settings.SECRET_KEY}\0{idempotency_key}", "portal-receipt/v1")
    return base64.urlsafe_b64encode(raw)


def _receipt_code(sealed: str, one_time_key: str) -> str:
    """The access code sealed in the session under the browser's one-time key; "" when
    the key is missing or does not open it (the receipt then shows the number only)."""
    try:
        return Fernet(one_time_key.encode()).decrypt(sealed.encode()).decode()
    except (InvalidToken, ValueError, TypeError):
        return ""


@never_cache
def status(request):
    form = forms.StatusForm(request.POST or None)
    error = None
    if request.method == "POST":
        ip_rate = settings.CASEDESK_RATE_STATUS
        if _limited(request, "portal-status", ip_rate):
            return _too_many(request)
        if form.is_valid():
            number = public.case_number_normalise(form.cleaned_data["case_number"])
            if public.status_locked_for(request, number) is not None:
                return _too_many(request)
            try:
                case = public.case_open_public(case_number=number,
                                               access_code=form.cleaned_data["access_code"])
            except ApplicationError as exc:
                public.status_failure_count(request, number)
                error = str(exc)
            else:
                request.session.cycle_key()
                request.session[SESSION_CASE] = case.pk
                return redirect("portal:case")
    return render(request, "portal/status_lookup.html", {"form": form, "error": error},
                  status=400 if error else 200)


def _session_case(request) -> int | None:
    """The case this session opened with its number and code, while that code still
    works: an erasure revokes it, and the session stops showing the case."""
    case_id = request.session.get(SESSION_CASE)
    if case_id and not public.case_access_open(case_id=case_id):
        request.session.pop(SESSION_CASE, None)
        return None
    return case_id


@never_cache
def case(request):
    case_id = _session_case(request)
    if not case_id:
        return redirect("portal:status")
    form = forms.ReplyForm(request.POST or None, request.FILES or None)
    error = None
    if request.method == "POST":
        if _limited(request, "portal-reply", settings.CASEDESK_RATE_SUBMIT):
            return _too_many(request)
        if form.is_valid():
            try:
                public.applicant_reply(
                    case_id=case_id, text=form.cleaned_data["text"],
                    attachments=[(f, "other") for f in form.cleaned_data.get("files") or []])
            except ApplicationError as exc:
                error = str(exc)
            else:
                request.session["portal_sent"] = True
                return redirect("portal:case")
    sent = request.session.pop("portal_sent", False)
    info = public.public_status(case_id=case_id, today=timezone.localdate())
    return render(request, "portal/case.html", {
        "info": info, "form": form, "error": error, "sent": sent,
        "upload_hint": upload_hint(), "office": office_card(info.case.office),
    }, status=400 if (error or form.errors) else 200)


@never_cache
def document(request, document_id: int):
    from django.http import FileResponse, Http404

    case_id = _session_case(request)
    if not case_id:
        return redirect("portal:status")
    try:
        doc, handle = public.public_document_open(case_id=case_id, document_id=document_id)
    except ApplicationError as exc:
        raise Http404(str(exc)) from None
    audit_record(action="document.read", actor_kind="applicant", object_type="document",
                 object_id=doc.pk, data={"case": case_id})
    response = FileResponse(handle, content_type=doc.content_type, as_attachment=True,
                            filename=doc.original_name)
    for name, value in documents.DOCUMENT_HEADERS.items():
        response[name] = value
    return response


def leave(request):
    if request.method == "POST":
        request.session.pop(SESSION_CASE, None)
    return redirect("portal:status")
