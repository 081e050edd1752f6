"""The staff queue as a spreadsheet: the list the person is looking at (queue, search,
category, state), as CSV that Russian Excel opens or as XLSX.

Only codes, labels and dates: case number, office, category, state, received, registered,
next deadline and days left; no names and no texts, whatever the role. Every export is
audited (the format, the queue and filters as codes, how many rows; never the search
words). At most ``MAX_ROWS`` rows, nearest deadline first, as the queue sorts them.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseForbidden
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from casedesk import rulebook
from casedesk.audit.services import audit_record
from casedesk.cases import search, selectors
from casedesk.core import tables
from casedesk.core.states import CaseState
from casedesk.deadlines.rules import days_left

from . import forms, searches

MAX_ROWS = 10_000


@login_required
def queue_export(request, fmt: str):
    if fmt not in tables.FORMATS:
        raise Http404(fmt)
    if not selectors.can_read_cases(request.user):
        return HttpResponseForbidden(_("Your role has no access to case files."))
    form = forms.QueueForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    queue = data.get("queue") or "mine"
    spec = selectors.QueueFilter(queue=queue, category=data.get("category") or "",
                                 state=data.get("state") or "")
    query = searches.search_words(request) or (data.get("q") or "").strip()
    today = timezone.localdate()
    cases = selectors.case_queue(actor=request.user, spec=spec, today=today)
    if query:
        cases = search.case_search(cases, query)
    values = list(cases.values_list("number", "office__code", "category", "state",
                                    "received_at", "registered_at", "next_due_on")[:MAX_ROWS])
    language = get_language()
    book = rulebook.current()
    states = dict(CaseState.choices)
    header = [_("Case"), _("Office"), _("Category"), _("State"), _("Received"),
              _("Registered"), _("Deadline"), _("Days left")]
    rows = [[number, office, book.category_label(category, language),
             str(states.get(state, state)), received, registered, due,
             days_left(due, today) if due else None]
            for number, office, category, state, received, registered, due in values]
    filters = [f"queue:{queue}"]
    if spec.category:
        filters.append(f"category:{spec.category}")
    if spec.state:
        filters.append(f"state:{spec.state}")
    if query:
        filters.append("search")  # that there was one; the words may be a name
    audit_record(action="queue.export", actor=request.user, object_type="queue",
                 object_id=queue, data={"format": fmt, "language": language,
                                        "filters": filters, "count": len(rows)})
    return tables.response(header, rows, fmt=fmt, stem=f"casedesk-{queue}-{today:%Y%m%d}",
                           language=language, title=_("Queue"))
