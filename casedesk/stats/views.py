"""Statistics pages: the staff dashboard and the public statistics with their open data.

The views parse the filters, call one selector (the figures are precomputed by
``manage.py stats_refresh``) and render. Every chart is drawn in the browser by Chart.js
from a JSON data block next to the table it shows, so the page reads the same without
JavaScript, and a screen reader gets the table. URLs (each under /ru/ and /en/):

- ``staff/stats/``: the dashboard (supervisors, analysts, administrators);
  ``staff/stats/<key>.csv``: one of its tables, with the same filters;
- ``stats/``: the public page; ``stats/<key>.csv``: one of its tables;
  ``stats/open-data.csv`` and ``stats/open-data.json``: all of them (docs/open-data.md).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpResponse, HttpResponseForbidden, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import numberformat, timezone
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.utils.formats import date_format, get_format
from django.utils.html import escape
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django_ratelimit.core import is_ratelimited

from casedesk.audit.services import audit_record
from casedesk.cases import permissions
from casedesk.core import tables as table_files
from casedesk.core.errors import ApplicationError

from . import selectors
from .forms import PublicFilterForm, StaffFilterForm
from .report_views import report_form

LICENCE = "CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/)"
PUBLIC_MAX_AGE = 300  # seconds a browser (or, for the data files, a proxy) may keep them
RETRY_AFTER = 60  # seconds, in the answer to an asker over the rate
SUPPRESSED = (selectors.PRIMARY, selectors.SECONDARY)  # hidden counts on public tables
LONG_LABEL = 14  # bar charts with longer labels lie horizontally
MAX_BARS = 20  # and show at most this many bars (the largest: the rows come sorted)
WIDE_BARS = 8  # a chart with more bars than this sits beside its table on the dashboard


# --- the staff dashboard ------------------------------------------------------------------

def _staff_tables(request) -> tuple[StaffFilterForm, list[selectors.Table]]:
    """The filter form and the figures it selects; ApplicationError for roles that may
    not see them."""
    form = StaffFilterForm(request.GET or None, offices=selectors.staff_offices(request.user))
    return form, selectors.staff_figures(actor=request.user, spec=form.spec())


@login_required
def dashboard(request):
    try:
        form, tables = _staff_tables(request)
    except ApplicationError as error:
        return HttpResponseForbidden(str(error))
    query = _query(form)
    displays = _displays(tables, lambda key: reverse("stats:staff_csv", args=[key]) + query)
    for display in displays:
        display["xlsx_url"] = reverse("stats:staff_xlsx", args=[display["key"]]) + query
    spec = form.spec()
    return render(request, "stats/dashboard.html", {
        "form": form,
        "tables": displays,
        # Urgency (issue 19): counted live; the queue's "Urgent only" for those who
        # read the case files (the queue has no office filter: it shows all of theirs).
        "urgent": selectors.staff_urgent(actor=request.user, spec=spec),
        "urgent_url": reverse("staff:queues") + "?" + urlencode(
            {"queue": "open", "urgent": "1",
             **({"category": spec.category} if spec.category else {})})
        if permissions.can(request.user, "case_read") else "",
        "refreshed_at": selectors.refreshed_at(),
        "report_form": report_form(request),
        "nav": "stats",
    })


@login_required
def dashboard_csv(request, key: str, fmt: str = "csv"):
    """One table of the dashboard as CSV (that Russian Excel opens on the Russian page)
    or XLSX, with the page's filters; audited (figures only, no personal data)."""
    try:
        form, tables = _staff_tables(request)
    except ApplicationError as error:
        return HttpResponseForbidden(str(error))
    table = _pick(tables, key)
    spec = form.spec()
    audit_record(action="stats.export", actor=request.user, object_type="table",
                 object_id=key, data={"format": fmt, "language": get_language(),
                                      "office": list(spec.office_ids or ()),
                                      "category": spec.category, "count": len(table.rows)})
    return table_files.response(table.columns, table.rows, fmt=fmt, stem=f"casedesk-{key}",
                                language=get_language(), title=key)


# --- the public statistics ----------------------------------------------------------------
#
# Anyone may ask, so each request is bounded: one calendar year (never a period of the
# asker's choosing, which could be subtracted from an overlapping one, or run for two
# thousand years), counted per address (CASEDESK_RATE_STATS, in the cache the other rate
# limits use), and answered from the cache until the next refresh.

RATE_GROUP = "stats-public"


def _rate_limited(request) -> bool:
    """Whether an anonymous asker has used up CASEDESK_RATE_STATS (staff are not counted:
    they are signed in, and audited where it matters)."""
    if request.user.is_authenticated:
        return False
    return is_ratelimited(request, group=RATE_GROUP, key="ip", rate=settings.CASEDESK_RATE_STATS,
                          increment=True)


def _public_form(request) -> PublicFilterForm:
    return PublicFilterForm(request.GET or None, years=selectors.public_years())


def _errors(form) -> str:
    return " ".join(str(e) for errors in form.errors.values() for e in errors)


def _shared(response, *, public: bool):
    """Successful answers may be kept for PUBLIC_MAX_AGE (files by proxies too, ``public``);
    refusals never, or a proxy would refuse everyone behind it."""
    if 200 <= response.status_code < 300:
        patch_cache_control(response, **{"public" if public else "private": True},
                            max_age=PUBLIC_MAX_AGE)
    else:
        add_never_cache_headers(response)
    return response


def public(request):
    """The page carries a CSRF token (the language switch), so only the browser keeps it;
    the data files below may be kept by shared caches too."""
    if _rate_limited(request):
        response = render(request, "stats/too_many.html", status=429)
        response["Retry-After"] = str(RETRY_AFTER)
        return _shared(response, public=False)
    form = _public_form(request)
    year = form.chosen_year()
    query = "?" + urlencode({"year": year})
    tables = selectors.public_figures(year=year)
    return _shared(render(request, "stats/public.html", {
        "form": form,
        "year": year,
        "tables": _displays(tables, lambda key: reverse("stats:public_csv", args=[key]) + query),
        "refreshed_at": selectors.refreshed_at(),
        "query": query,
        "licence": LICENCE,
        "nav": "stats",
    }, status=400 if form.errors else 200), public=False)


def _public_file(request, name: str, build, *, json_errors: bool = False):
    """A data file of the year asked for: ``build(tables)`` gives (body, content type,
    file name or ""), computed once per refresh, year and language; 429 past the rate,
    400 (with the reason in the asker's language) for a period that is not published."""
    if _rate_limited(request):
        message = _("Too many requests for the statistics from your address. Please wait a "
                    "minute and try again.")
        response = (JsonResponse({"error": "rate_limited", "message": message}, status=429)
                    if json_errors else HttpResponse(message, status=429,
                                                     content_type="text/plain; charset=utf-8"))
        response["Retry-After"] = str(RETRY_AFTER)
        return _shared(response, public=True)
    form = _public_form(request)
    if form.errors:
        response = (JsonResponse({"error": "invalid_filter", "message": _errors(form)},
                                 status=400, json_dumps_params={"ensure_ascii": False})
                    if json_errors else HttpResponse(_errors(form), status=400,
                                                     content_type="text/plain; charset=utf-8"))
        return _shared(response, public=True)
    year = form.chosen_year()
    body, content_type, filename = selectors.remember(
        ("public-file", name, year),
        lambda: build(selectors.public_figures(year=year)))
    response = HttpResponse(body, content_type=content_type)
    if filename:
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Access-Control-Allow-Origin"] = "*"
    return _shared(response, public=True)


def public_csv(request, key: str):
    def build(tables):
        return (selectors.table_csv(_pick(tables, key)).encode(), CSV_TYPE,
                f"casedesk-{key}.csv")

    return _public_file(request, f"table:{key}", build)


def open_data_csv(request):
    """Every public table in one long CSV: one row per cell (docs/open-data.md)."""
    def build(tables):
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["table", "label", "column", "value"])
        for table in tables:
            for row in table.rows:
                for column, value in zip(table.columns[1:], row[1:], strict=False):
                    writer.writerow([table.key, _plain(row[0]), column, _plain(value)])
        return out.getvalue().encode(), CSV_TYPE, "casedesk-open-data.csv"

    return _public_file(request, "open-data.csv", build)


def open_data_json(request):
    def build(tables):
        data = selectors.tables_json(tables, licence=LICENCE)
        return (json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=1).encode(),
                "application/json", "")

    return _public_file(request, "open-data.json", build, json_errors=True)


# --- helpers ------------------------------------------------------------------------------

def _pick(tables: list[selectors.Table], key: str) -> selectors.Table:
    for table in tables:
        if table.key == key:
            return table
    raise Http404(key)


def _query(form) -> str:
    """The valid filters as a query string (with its "?"), for the download links."""
    if not form.is_bound or not form.is_valid():
        return ""
    params = {}
    for name, value in form.cleaned_data.items():
        if isinstance(value, dt.date):
            params[name] = value.strftime("%Y-%m")
        elif value not in (None, ""):
            params[name] = value
    return "?" + urlencode(params) if params else ""


CSV_TYPE = "text/csv; charset=utf-8"


def _plain(value) -> str:
    """A value as open data writes it: ISO dates, plain numbers, "<5" as it is."""
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _cell_format():
    """How the page shows a value: localised numbers (grouped thousands, one decimal), a
    dash for nothing, text (labels, "<5") as it is. The separators of the active language
    are looked up once for the page (a thousand cells on the dashboard of all time), which
    is what ``number_format`` would look up for each."""
    language = get_language()
    decimal = get_format("DECIMAL_SEPARATOR", language, use_l10n=True)
    grouping = get_format("NUMBER_GROUPING", language, use_l10n=True)
    thousands = get_format("THOUSAND_SEPARATOR", language, use_l10n=True)

    def cell(value) -> str:
        if value is None or value == "":
            return "—"
        if isinstance(value, bool):
            return str(value)
        if isinstance(value, int):
            return numberformat.format(value, decimal, None, grouping, thousands,
                                       force_grouping=True, use_l10n=True)
        if isinstance(value, float | Decimal):
            return numberformat.format(value, decimal, 1, grouping, thousands,
                                       force_grouping=True, use_l10n=True)
        if isinstance(value, dt.datetime):
            return date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")
        if isinstance(value, dt.date):
            return date_format(value, "SHORT_DATE_FORMAT")
        return str(value)

    return cell


def _is_count(value) -> bool:
    return (isinstance(value, int) and not isinstance(value, bool)) or value in SUPPRESSED


def _count_columns(table: selectors.Table) -> int:
    """How many value columns, from the left, hold counts (whole numbers or hidden small
    counts). The chart plots those only: shares and days that follow them are in other
    units, and stay in the table."""
    n = 0
    for i in range(1, len(table.columns)):
        if not all(_is_count(row[i]) for row in table.rows):
            break
        n += 1
    return n


def _chart(table: selectors.Table, labels: list[str]) -> dict | None:
    """The chart's data: its type, labels and one series per count column. Bars with long
    labels (categories, regions) lie horizontally and show the largest MAX_BARS only."""
    columns = _count_columns(table)
    if not (table.chart and table.rows and columns):
        return None
    horizontal = table.chart == "bar" and any(len(label) > LONG_LABEL for label in labels)
    rows = table.rows[:MAX_BARS] if horizontal else table.rows
    series = [[row[i] if isinstance(row[i], int) else None for row in rows]
              for i in range(1, columns + 1)]
    return {
        "type": table.chart,
        "horizontal": horizontal,
        "labels": labels[:len(rows)],
        "series": [{"label": str(table.columns[i]), "data": data}
                   for i, data in enumerate(series, start=1)],
        "shown": len(rows),
        "total": len(table.rows),
        "hidden": any(value is None for data in series for value in data),
    }


def _body(rows: list[list[str]]) -> str:
    """The rows of a table as HTML: the label a row header, then the figures. Written here
    rather than as a loop in the template, which took most of the dashboard's time (1,500
    cells for all time, each through a few template nodes)."""
    return mark_safe("\n".join(  # noqa: S308 - every cell is escaped
        '<tr><th scope="row">' + escape(row[0]) + "</th>"
        + "".join('<td class="num">' + escape(value) + "</td>" for value in row[1:])
        + "</tr>" for row in rows))


def _display(table: selectors.Table, csv_url: str, note: str = "", cell=None) -> dict:
    """What the template needs of a table: formatted cells, and the chart's data."""
    cell = cell or _cell_format()
    shown = [[cell(value) for value in row] for row in table.rows]
    chart = _chart(table, [row[0] for row in shown])
    return {
        "key": table.key,
        "title": table.title,
        "columns": table.columns,
        "rows": shown,
        "body": _body(shown),
        "note": note,
        "chart": chart,
        "wide": bool(chart and chart["horizontal"] and chart["shown"] > WIDE_BARS),
        "csv_url": csv_url,
    }


def _displays(tables: list[selectors.Table], csv_url) -> list[dict]:
    """Every table for the template; a note the table before already showed is not
    repeated."""
    out, previous, cell = [], "", _cell_format()
    for table in tables:
        note = str(table.note)
        out.append(_display(table, csv_url(table.key), "" if note == previous else note, cell))
        previous = note
    return out
