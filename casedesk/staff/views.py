"""The staff workspace: thin views that parse input, call one service or selector, render.

Every view needs a login; what a person may see and do is decided by the selectors and
services (role and office), so a guessed URL of another office's case is a 404.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from casedesk import rulebook
from casedesk.accounts.models import Office, User
from casedesk.audit.services import audit_record
from casedesk.cases import documents, permissions, search, selectors, services
from casedesk.cases.access import access_code_issue
from casedesk.cases.models import DocumentType
from casedesk.cases.workflow import TRANSITIONS, allowed_for
from casedesk.core import tokens
from casedesk.core.errors import ApplicationError
from casedesk.core.states import CaseState
from casedesk.deadlines.rules import days_left
from casedesk.facts.selectors import case_facts
from casedesk.intake.selectors import (
    cases_by_contact,
    cases_flagged,
    desk_duplicates,
    duplicates_of_case,
)
from casedesk.intake.services import appeal_register
from casedesk.letters import notices
from casedesk.letters import staff as staff_letters
from casedesk.notifications.attention import attention_seen
from casedesk.review.selectors import commissions_for_case
from casedesk.triage import services as triage
from casedesk.urgency import selectors as urgency

from . import attention_views, forms, searches

PAGE_SIZE = 25


class LoginView(auth_views.LoginView):
    template_name = "staff/login.html"
    redirect_authenticated_user = True


def _refuse(error: ApplicationError):
    if error.code == "not_found":
        raise Http404(str(error))
    return HttpResponseForbidden(str(error))


def _reader_required(request):
    if not selectors.can_read_cases(request.user):
        return HttpResponseForbidden(_("Your role has no access to case files."))
    return None


@login_required
def queues(request):
    if permissions.can(request.user, "stats_read") \
            and not selectors.can_read_cases(request.user):
        # They read no case files; their landing page is the statistics.
        return redirect("stats:dashboard")
    refused = _reader_required(request)
    if refused:
        return refused
    if request.method == "POST":
        return _search_redirect(request)
    form = forms.QueueForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    queue = data.get("queue") or selectors.queue_default(request.user)
    spec = selectors.QueueFilter(queue=queue, category=data.get("category") or "",
                                 state=data.get("state") or "")
    query = searches.search_words(request) or (data.get("q") or "").strip()
    today = timezone.localdate()
    cases, offices = _queue_cases(request.user, spec, bool(data.get("urgent")), today)
    counts = selectors.queue_counts(actor=request.user, spec=spec, today=today)
    if query:
        query = search.prepared(query)  # read once for the page, its count and "where"
        paginator = _CountedPaginator(
            search.case_search_ranked(cases, query, offices=offices), PAGE_SIZE,
            count=lambda: search.case_search_count(cases, query, offices=offices))
    else:
        # The queue "all": counted once by queue_counts (cached), and for several
        # offices read office by office in order (selectors.OfficesInOrder).
        pages = selectors.queue_pages(cases, offices)
        paginator = _CountedPaginator(pages, PAGE_SIZE, count=lambda: counts["all"]) \
            if offices is not None and offices.only else Paginator(pages, PAGE_SIZE)
    page = paginator.get_page(data.get("page") or 1)
    rows = [(case, days_left(case.next_due_on, today) if case.next_due_on else None)
            for case in page.object_list]
    # A search in one queue that found nothing: how many of all the user's cases it
    # finds, so that "no cases" in "My cases" does not read as "no such soldier".
    elsewhere = _search_elsewhere(request.user, spec, query, data, today) \
        if query and queue != "all" and not rows else None
    if query:
        # A search over case files is a read: who searched, in which queue and with which
        # filters, and how many cases it found; never the words (they may be a name).
        audit_record(action="case.search", actor=request.user, object_type="queue",
                     object_id=queue, data={"filters": _filter_codes(spec),
                                            "count": paginator.count})
    context = {
        "matched": _search_where(rows, query),
        "form": form,
        "queue": queue,
        "queues": selectors.queue_labels(),
        "counts": counts,
        "page": page,
        "rows": rows,
        **attention_views.queue_rows(request, [case for case, _left in rows], queue=queue),
        # A marker on the rows with a possible duplicate (one query for the page).
        "duplicate_ids": cases_flagged([case.pk for case, _left in rows]),
        # Urgency (issue 19): the urgent rows' marker (one query for the page).
        "urgent_ids": urgency.cases_urgent([case.pk for case, _left in rows]),
        "urgent_only": bool(data.get("urgent")),
        # The first category suggestion (issue 19) in the appeals to register.
        "suggested": triage.top_suggestions([case.pk for case, _left in rows],
                                            request.LANGUAGE_CODE)
        if queue == "to_register" else {},
        "query": query,
        "search_elsewhere": elsewhere,
        # Words with * too short to be looked up as a beginning (tokens.PREFIX).
        "short_stars": tokens.short_stars(query) if query else [],
        "prefix_letters": tokens.PREFIX,
        "querystring_all": _querystring(request, drop="page", queue="all") if elsewhere else "",
        # Too many matches to rank (a common surname alone): the newest are shown.
        "search_broad": getattr(query, "broad", "") if query else "",
        "book": rulebook.current(),
        "is_supervisor": permissions.can(request.user, "assign"),
        "staff": list(selectors.assignable_staff(actor=request.user))
        if permissions.can(request.user, "assign") else [],
        "querystring": _querystring(request, drop="page"),
        "search_token": request.GET.get("s", "") if query else "",
        "nav": "queues",
    }
    template = "staff/_queue_table.html" if request.htmx else "staff/queues.html"
    response = render(request, template, context)
    if request.htmx:  # the address bar shows the queue the filters led to
        response["HX-Push-Url"] = request.get_full_path()
    return response


# What a search matched in a case, as the queue row says it.
SEARCH_WHERE = {
    "number": gettext_lazy("case number"),
    "service_member": gettext_lazy("service member"),
    "applicant": gettext_lazy("applicant"),
    "text": gettext_lazy("appeal text or note"),
}


def _search_where(rows, query: str) -> dict[int, str]:
    """Per case of the page, where the search matched it (``search.case_search_where``:
    a few queries over the page's cases, nothing decrypted)."""
    if not query:
        return {}
    where = search.case_search_where([case.pk for case, _left in rows], query)
    return {pk: ", ".join(str(SEARCH_WHERE[code]) for code in codes)
            for pk, codes in where.items()}


def _queue_cases(actor, spec, urgent: bool, today):
    """The queue's cases and the offices it is limited to (``search.Offices``)."""
    cases = selectors.case_queue(actor=actor, spec=spec, today=today)
    offices = selectors.case_queue_offices(actor=actor, spec=spec)
    if urgent:  # issue 19: the urgent cases of the queue only, which narrows its offices
        cases = urgency.only_urgent(cases)
        if offices is not None:
            offices = search.Offices(ids=offices.ids, only=False)
    return cases, offices


def _search_elsewhere(actor, spec, query, data, today) -> int:
    """How many cases the search finds in the queue "all" with the same filters."""
    everywhere = selectors.QueueFilter(queue="all", category=spec.category, state=spec.state)
    cases, offices = _queue_cases(actor, everywhere, bool(data.get("urgent")), today)
    # A query of its own: what the first search remembered (its offices' matches) is
    # that queue's.
    return search.case_search_count(cases, search.prepared(str(query)), offices=offices)


def _search_redirect(request):
    """The filter form, sent by POST: its words go to the session (``searches``), and
    the queue is shown at an address that names them by a token only."""
    form = forms.QueueForm(request.POST)
    data = form.cleaned_data if form.is_valid() else {}
    params = {name: data[name] for name in ("queue", "category", "state") if data.get(name)}
    if data.get("urgent"):
        params["urgent"] = "1"
    words = (data.get("q") or "").strip()
    if words:
        params["s"] = searches.search_remember(request, words)
    return redirect(f"{reverse('staff:queues')}?{urlencode(params)}")


def _filter_codes(spec) -> list[str]:
    codes = [f"queue:{spec.queue}"]
    if spec.category:
        codes.append(f"category:{spec.category}")
    if spec.state:
        codes.append(f"state:{spec.state}")
    return codes


class _CountedPaginator(Paginator):
    """A paginator whose count comes from ``count()`` rather than from
    ``object_list.count()`` (a search's, from ``search.case_search_count``)."""

    def __init__(self, object_list, per_page, *, count: Callable[[], int]):
        super().__init__(object_list, per_page)
        self._count = count

    @cached_property
    def count(self) -> int:
        return self._count()


def _querystring(request, drop: str, **values: str) -> str:
    params = request.GET.copy()
    params.pop(drop, None)
    for name, value in values.items():
        params[name] = value
    return params.urlencode()


@login_required
def case_detail(request, number: str):
    refused = _reader_required(request)
    if refused:
        return refused
    try:
        file = selectors.case_file(actor=request.user, number=number)
    except ApplicationError as error:
        return _refuse(error)
    audit_record(action="case.read", actor=request.user, object_type="case",
                 object_id=file.case.pk)
    attention_seen(user=request.user, case=file.case)
    return render(request, "staff/case.html", _case_context(request, file))


def upload_hint() -> str:
    kinds = ", ".join(sorted({ext.upper() for ext in documents.ALLOWED_TYPES.values()}))
    return _("%(kinds)s, up to %(max)s MB.") % {
        "kinds": kinds, "max": documents.max_upload_bytes() // 1024**2}


def _case_context(request, file, **extra):
    case, today = file.case, timezone.localdate()
    book = rulebook.get(case.rulebook_version)
    language = request.LANGUAGE_CODE
    user = request.user
    transitions = allowed_for(case.state, user.role)
    procedure = book.procedures.get(case.procedure)
    own_policy = bool(procedure and procedure.own_policy)
    deadlines = [
        {"deadline": d, "label": book.rules[d.rule].label.get(language),
         "citation": book.citation(book.deadline_citation(case.procedure, d.rule), language),
         "own_policy": own_policy,
         "days_left": days_left(d.due_on, today) if d.closed_on is None else None,
         "extendable": d.closed_on is None and book.rules[d.rule].max_extension_days > 0}
        for d in file.deadlines
    ]
    repeated = _repeated_context(case, book, language)
    return {
        "nav": "queues",
        "file": file,
        "repeated": repeated,
        "case": case,
        "category": book.classification_label(case.category, case.subcategory, language),
        "deadlines": deadlines,
        "transitions": [
            (t, forms.TransitionForm(initial=_transition_initial(t.name, repeated),
                                     prefix=t.name))
            for t in transitions
        ],
        "can_extend": permissions.can(user, "deadline_extend"),
        "can_assign": permissions.can(user, "case_take"),
        "can_add_document": permissions.can(user, "document_add"),
        "can_write_letter": permissions.can(user, "case_letter"),
        "can_note": permissions.can(user, "note"),
        "staff": list(selectors.assignable_staff(actor=user, office_ids={case.office_id}))
        if permissions.can(user, "assign") else [],
        "extend_form": extra.get("extend_form") or forms.ExtendForm(),
        "reclassify_form": extra.get("reclassify_form")
        or forms.ReclassifyForm(book=book, case=case),
        "can_reclassify": permissions.can(user, "reclassify"),
        "book": book,
        "note_form": extra.get("note_form") or forms.NoteForm(),
        "document_form": extra.get("document_form") or forms.DocumentForm(),
        "action_error": extra.get("action_error"),
        "grounds": {g.code: g.label.get(language) for g in book.grounds.values()},
        "procedure": procedure.label.get(language) if procedure else case.procedure,
        "own_policy": own_policy,
        "staff_names": selectors.staff_names(file.events),
        "previewable": ("image/jpeg", "image/png", "image/webp"),
        "upload_hint": upload_hint(),
        "commissions": list(commissions_for_case(case))
        if "refer_to_commission" in {t.name for t in transitions} else [],
        "access_code": _access_code_context(user, file),
        "guide_answers": _guide_answers(file, language),
        "guide_available": getattr(rulebook.current(), "guide", None) is not None,
        # The campaign of one of its appeals (selected with them: no query of its own).
        "campaign_id": next((a.campaign_of.campaign_id for a in file.appeals
                             if hasattr(a, "campaign_of")), None),
        # Duplicates (issue 18): who may be this service member under another record.
        "duplicates": duplicates_of_case(actor=user, case=case),
        "can_dismiss_duplicate": permissions.can(user, "duplicate_dismiss", case),
        # Urgency (issue 19): the standing flag's reasons, and "Not urgent".
        "urgency": urgency.case_urgency(case, language),
        "can_clear_urgency": permissions.can(user, "urgency_clear", case),
        # Facts from the text (issue 19): the appeals' texts marked, fields to fill.
        "facts": case_facts(case=case, appeals=file.appeals),
        # Category suggestions (issue 19): the top three, their words, which engine.
        "suggestions": triage.page_context(case=case, language=language),
    }


def _repeated_context(case, book, language: str) -> dict | None:
    """The repeated-appeal flag of ``case`` for its page (``Case.repeated_of``, set after
    the receipt by ``intake.services.repeats_flag``): the earlier case, linked only when
    it is of the same office, and the rulebook's grounds the head of the office decides
    on a repeated appeal (59-FZ art. 11 part 5: ``head_decides``), offered when leaving
    it unanswered."""
    number = getattr(case, "repeated_of_number", None)
    if not number or getattr(case, "repeated_of_office", None) != case.office_id:
        return None
    grounds = [{"code": g.code, "label": g.label.get(language),
                "citation": book.citation(g.citation, language), "verify": g.verify}
               for g in book.grounds.values() if g.head_decides and not g.forward]
    return {"number": number, "state": CaseState(case.repeated_of_state).label,
            "grounds": grounds}


def _transition_initial(name: str, repeated: dict | None) -> dict:
    initial = {"transition": name}
    if name == "leave_unanswered" and repeated and len(repeated["grounds"]) == 1:
        initial["ground"] = repeated["grounds"][0]["code"]
    return initial


def _guide_answers(file, language: str) -> list[dict]:
    """For each appeal filed through the portal's pathways guide: the questions and the
    answers as they read back, and the result's grounds with their citations, all read
    with the guide of the rulebook version stored on the appeal (a later version may ask
    other questions)."""
    shown = []
    for appeal in file.appeals:
        if not appeal.guide_answers:
            continue
        entry = {"appeal": appeal, "version": appeal.guide_version, "rows": [],
                 "grounds": [], "missing": False}
        try:
            book = rulebook.get(appeal.guide_version)
        except rulebook.RulebookError:
            book = None
        guide = getattr(book, "guide", None)
        if guide is None:  # that version is gone: the answers as stored, unread
            entry["missing"] = True
            entry["rows"] = [{"question": key, "answer": value}
                             for key, value in appeal.guide_answers.items()]
        else:
            answers = appeal.guide_answers
            entry["rows"] = [
                {"question": q.text.get(language) or q.text.get("ru", q.key),
                 "answer": q.label(answers[q.key], language)}
                for q in guide.asked(answers) if q.key in answers]
            entry["grounds"] = [
                {"title": o.title.get(language) or o.title.get("ru", o.key),
                 "citation": book.citation(o.citation, language), "verify": o.verify}
                for o in guide.result(answers).sections.get("grounds") or []]
        shown.append(entry)
    return shown


def _access_code_context(user, file) -> dict:
    """What the access-code card offers ``user`` (the rule: ``cases.permissions``)."""
    first = min(file.appeals, key=lambda a: (a.received_at, a.pk), default=None)
    channel = first.channel if first else ""
    return {
        "can_issue": permissions.can_issue_access_code(user, channel=channel),
        "by_letter": channel in permissions.CODE_BY_LETTER_CHANNELS,
        "reason_needed": permissions.access_code_reason_needed(
            channel=channel, replacing=bool(file.case.access_code_hash)),
        "reasons": permissions.CodeReissueReason.choices,
    }


def _case_for_action(request, number):
    try:
        return selectors.case_get(actor=request.user, number=number)
    except ApplicationError as error:
        raise Http404(str(error)) from None


def _after(request, case, error: ApplicationError | None = None, **forms_with_errors):
    if error is None and not forms_with_errors:
        return redirect("staff:case", number=case.number)
    file = selectors.case_file(actor=request.user, number=case.number)
    context = _case_context(request, file, action_error=str(error) if error else None,
                            **forms_with_errors)
    return render(request, "staff/case.html", context, status=400)


@login_required
@require_POST
def case_transition(request, number: str, transition: str):
    case = _case_for_action(request, number)
    if transition not in TRANSITIONS:
        raise Http404
    form = forms.TransitionForm(request.POST, prefix=transition)
    if not form.is_valid():
        return _after(request, case, ApplicationError("invalid", _("Check the form.")))
    data = form.cleaned_data
    try:
        notices.case_move(  # the transition with the letters the law requires
            actor=request.user, case=case, transition=transition,
            reason=data["reason"], message=data["message"], outcome=data["outcome"],
            forwarded_to=data["forwarded_to"], forward_body=data["forward_body"],
            ground=data["ground"],
        )
    except ApplicationError as error:
        if error.code == "not_found":
            raise Http404(str(error)) from None
        return _after(request, case, error)
    messages.success(request, _("Done: %(action)s.") % {"action": TRANSITIONS[transition].label})
    return _after(request, case)


@login_required
@require_POST
def case_reclassify(request, number: str):
    case = _case_for_action(request, number)
    form = forms.ReclassifyForm(request.POST, book=rulebook.get(case.rulebook_version))
    if not form.is_valid():
        return _after(request, case, reclassify_form=form)
    category, subcategory = form.codes()
    try:
        case = services.case_reclassify(actor=request.user, case=case, category=category,
                                        subcategory=subcategory,
                                        procedure=form.cleaned_data["procedure"],
                                        reason=form.cleaned_data["reason"])
    except ApplicationError as error:
        return _after(request, case, error)
    triage.decision_record(actor=request.user, case=case)  # issue 19: training data
    messages.success(request, _("The category is corrected."))
    return _after(request, case)


@login_required
@require_POST
def case_extend(request, number: str):
    case = _case_for_action(request, number)
    form = forms.ExtendForm(request.POST)
    if not form.is_valid():
        return _after(request, case, extend_form=form)
    try:
        deadline = notices.deadline_extend_notify(actor=request.user, case=case,
                                                  days=form.cleaned_data["days"],
                                                  reason=form.cleaned_data["reason"])
    except ApplicationError as error:
        return _after(request, case, error)
    messages.success(request, _("The deadline now ends on %(date)s.") % {
        "date": _format_date(deadline.due_on)})
    return _after(request, case)


def _format_date(day):
    from django.utils.formats import date_format

    return date_format(day, "SHORT_DATE_FORMAT")


@login_required
@require_POST
def case_assign(request, number: str):
    case = _case_for_action(request, number)
    form = forms.AssignForm(request.POST)
    assignee = None
    if form.is_valid() and form.cleaned_data["assignee"]:
        assignee = User.objects.filter(pk=form.cleaned_data["assignee"]).first()
        if assignee is None:
            return _after(request, case, ApplicationError("bad_assignee", _("No such person.")))
    try:
        services.case_assign(actor=request.user, case=case, assignee=assignee)
    except ApplicationError as error:
        return _after(request, case, error)
    messages.success(request, _("The case is assigned.") if assignee
                     else _("The case has no assignee now."))
    return _after(request, case)


@login_required
@require_POST
def case_note(request, number: str):
    case = _case_for_action(request, number)
    form = forms.NoteForm(request.POST)
    if not form.is_valid():
        return _after(request, case, note_form=form)
    try:
        services.note_add(actor=request.user, case=case, text=form.cleaned_data["text"])
    except ApplicationError as error:
        return _after(request, case, error)
    return _after(request, case)


@login_required
@require_POST
def case_access_code(request, number: str):
    """A new access code for the applicant (for the acknowledgement letter), shown once.
    Who may, and with which reason: ``cases.permissions.require_access_code_issue``."""
    case = _case_for_action(request, number)
    try:
        code = access_code_issue(actor=request.user, case=case,
                                 reason=request.POST.get("reason", "")[:50])
    except ApplicationError as error:
        return _after(request, case, error)
    messages.warning(request, _("New access code for the applicant: %(code)s. It is shown "
                                "only now; the previous code no longer works.") % {"code": code})
    response = _after(request, case)
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def case_letter(request, number: str):
    case = _case_for_action(request, number)
    try:
        letters = staff_letters.case_letter(actor=request.user, case=case,
                                            kind=request.POST.get("kind", ""))
    except ApplicationError as error:
        if error.code == "not_found":
            raise Http404(str(error)) from None
        return _after(request, case, error)
    messages.success(request, _("The letter is in the case file: %(names)s.") % {
        "names": ", ".join(d.original_name for d in letters)})
    response = _after(request, case)
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def case_document(request, number: str):
    case = _case_for_action(request, number)
    form = forms.DocumentForm(request.POST, request.FILES)
    if not form.is_valid():
        return _after(request, case, document_form=form)
    try:
        documents.document_add(actor=request.user, case=case, upload=form.cleaned_data["file"],
                               doc_type=form.cleaned_data["doc_type"])
    except ApplicationError as error:
        return _after(request, case, error)
    messages.success(request, _("The document is added."))
    return _after(request, case)


@login_required
def document_file(request, number: str, document_id: int):
    case = _case_for_action(request, number)
    try:
        document, handle = documents.document_open(actor=request.user, document_id=document_id,
                                                   case=case)
    except ApplicationError as error:
        return _refuse(error)
    audit_record(action="document.read", actor=request.user, object_type="document",
                 object_id=document.pk, data={"case": case.pk})
    # Always a download, sandboxed if shown (issue 15, finding 12): a PDF is never opened
    # as a page of this site. The case page previews images only, through <img>, which
    # draws pictures whatever the disposition and runs nothing.
    response = FileResponse(handle, content_type=document.content_type,
                            as_attachment=True, filename=document.original_name)
    for name, value in documents.DOCUMENT_HEADERS.items():
        response[name] = value
    return response


@login_required
def register(request):
    user = request.user
    offices = list(Office.objects.filter(pk__in=selectors.permissions.office_ids(user),
                                         is_active=True))
    if not permissions.can(user, "register") or not offices:
        return HttpResponseForbidden(_("Your role cannot register appeals."))
    chosen = request.POST.get("office") or request.GET.get("office")
    office = next((o for o in offices if str(o.pk) == chosen), offices[0])
    with timezone.override(_office_zone(office)):  # the time received is the office's
        return _register_page(request, user, office, offices)


def _office_zone(office):
    import zoneinfo

    try:
        return zoneinfo.ZoneInfo(office.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return timezone.get_current_timezone()


def _register_page(request, user, office, offices):
    now = timezone.localtime().replace(second=0, microsecond=0)
    form = forms.RegisterForm(request.POST or None, request.FILES or None,
                              initial={"received_at": now})
    matches, error = [], None
    # The clerk's answer to the possible duplicates: a case number, "new", or nothing yet.
    choice = request.POST.get("attach_to", "").replace("\x00", "").strip()
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        own = data["relation"] == "self"  # the applicant's contacts are the member's
        region = data.get("member_region")
        matches = desk_duplicates(
            actor=user, office_id=office.pk,
            full_name=data["applicant_name"] if own else data["member_name"],
            birth_date=data.get("member_birth_date"), unit=data.get("member_unit", ""),
            phone=(data.get("applicant_phone") or "") if own else "",
            email=(data.get("applicant_email") or "") if own else "",
            region_id=region.pk if region else None)
        known = {case.pk for case in matches}
        matches += [case for case in cases_by_contact(
            actor=user, office_id=office.pk, phone=data.get("applicant_phone") or "",
            email=data.get("applicant_email") or "") if case.pk not in known]
        decided = request.POST.get("action") == "save"
        if matches and not decided:
            pass  # show the possible existing cases and let the clerk choose
        elif matches and not choice:
            # No default: a new case for a person who already has one splits the file.
            error = _("Choose what to do with this appeal: add it to one of the cases "
                      "found, or open a new case.")
        else:
            target = None
            if choice and choice != "new":
                target = selectors.case_list_visible(user).filter(number=choice).first()
            try:
                if choice and choice != "new" and target is None:
                    raise ApplicationError("not_found", _("No such case."))
                # The outermost action: nothing may nest it (an attachment refused =
                # nothing registered; its file is stored before the locks are taken).
                with transaction.atomic(durable=True):
                    appeal = _register(user, office, form, target)
            except ApplicationError as exc:
                error = str(exc)
            else:
                messages.success(request, _("Appeal registered in case %(number)s.") % {
                    "number": appeal.case.number})
                return redirect("staff:case", number=appeal.case.number)
    return render(request, "staff/register.html", {
        "form": form, "office": office, "offices": offices, "matches": matches,
        "error": error, "nav": "register", "choice": choice,
        # The browser does not send a file again: say so when one was chosen.
        "file_dropped": bool(matches and request.FILES.get("document")),
        "guides": {c.code: c for c in rulebook.current().categories.values()},
        "upload_hint": upload_hint(),
    }, status=400 if error else 200)


def _register(user, office, form, target):
    data = form.cleaned_data
    appeal = appeal_register(
        actor=user, office=office, channel=data["channel"], text=data["text"],
        request=data["request"], language=data["language"], category=data["category"],
        applicant=form.applicant(), relation=data["relation"],
        service_member=form.service_member(), attach_to=target,
        received_at=data["received_at"], sender=form.sender(),
        attachments=[(data["document"], data.get("document_type") or DocumentType.OTHER)]
        if data.get("document") else [],
    )
    return appeal


@login_required
def supervisor(request):
    try:
        data = selectors.workload(actor=request.user)
    except ApplicationError as error:
        return _refuse(error)
    return render(request, "staff/supervisor.html", {
        "data": data, "nav": "supervisor",
        # Urgency (issue 19): the open urgent cases of their offices.
        "urgent_count": urgency.urgent_open_count(actor=request.user)})


@login_required
@require_POST
def bulk_assign(request):
    ids = []
    for raw in request.POST.getlist("cases"):
        if raw.isdigit():
            ids.append(int(raw))
    assignee = User.objects.filter(pk=request.POST.get("assignee") or 0).first()
    # Back to the page the supervisor came from, on this site only: "//evil.example" and
    # "/\evil.example" start with "/" but browsers read them as another host.
    back = request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        back = reverse("staff:queues")
    try:
        count = services.cases_bulk_assign(actor=request.user, case_ids=ids, assignee=assignee)
    except ApplicationError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, ngettext("%(count)s case reassigned.",
                                           "%(count)s cases reassigned.", count) % {
            "count": count})
    return redirect(back)
