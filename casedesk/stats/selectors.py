"""Reading the precomputed figures: the staff dashboard, the public page, open data and
the annual report all come through here.

Everything is read from the tables that ``refresh`` fills (never from cases), summed
with GROUP BY for the office, period and category asked for. Labels (categories, states,
outcomes, regions, service types) are in the active language.

Public figures are published without letting anyone single out a person:

- for fixed periods only, calendar years (``public_period``): two periods that overlap
  could be subtracted from each other, and the difference, a month in a region, is a
  crossed figure that was never checked for small counts;
- only one-dimensional breakdowns (by month; by category; by region), never crossed, and
  no filter (a category chosen would cross it with the months and the regions, and the
  figures of all categories minus those of one would give the others');
- a count from 1 to 4 is shown as "<5" (primary suppression); 0 is shown, it is about
  nobody;
- all the breakdowns add up to the same total, which anyone can work out from a table
  without hidden cells, so in each column the hidden cells must not be recoverable from
  it: while one hidden cell could be worked out (one "<5" alone, or several whose sum
  leaves one value only), the smallest figure still shown in that column is hidden too,
  as "…" (complementary suppression); where even that cannot protect a column, the
  column is hidden in every public table;
- a share or a median is shown only where its count is shown and is at least 5;
- the rows of a breakdown are ordered by the counts shown, and those with a hidden count
  by their label (``published_order``), so that the order gives no hidden value away.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import logging
import math
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db.models import Max, Min, Q, Sum
from django.utils import dateformat, formats, timezone, translation
from django.utils.translation import gettext as _

from casedesk import rulebook
from casedesk.accounts.models import Office
from casedesk.accounts.roles import Role
from casedesk.cases import permissions
from casedesk.core.errors import ApplicationError
from casedesk.core.models import Region
from casedesk.core.reference import region_label
from casedesk.core.states import OPEN_STATES, CaseState
from casedesk.people.models import ServiceType
from casedesk.review.models import DecisionOutcome
from casedesk.urgency import selectors as urgency

from .models import (
    AnswerTime,
    AnswerTimeRollup,
    AnswerTimeYear,
    DailyReceived,
    DecisionFigures,
    MonthlyFigures,
    MonthlyRollup,
    OpenCases,
    Refresh,
    RegionFigures,
    ServiceTypeFigures,
)
from .refresh import AGE_BUCKETS


def read(model):
    """``model``'s rows as the statistics read them: from the database named by
    CASEDESK_STATS_DATABASE, the streaming replica when CASEDESK_REPLICA_URL names one
    (docs/deployment.md), else the primary. Everything a statistics page reads, the
    refresh stamp of its cache key included, comes from that one database, so a page
    never mixes two refreshes."""
    return model._default_manager.using(settings.CASEDESK_STATS_DATABASE)

logger = logging.getLogger(__name__)

STAFF_ROLES = permissions.roles_of("stats_read")
SMALL = 5  # counts below this are not published
PRIMARY = "<5"
SECONDARY = "…"
WEEKS = 26


@dataclass(frozen=True)
class StatsFilter:
    start: dt.date | None = None  # first month included (any day in it)
    end: dt.date | None = None  # last month included
    office_ids: tuple[int, ...] | None = None  # None: all offices the caller may see
    category: str = ""  # a rulebook category code, "" for all


@dataclass
class Table:
    key: str  # stable id, e.g. "received_by_month"
    title: str  # in the active language
    columns: list[str]  # headers in the active language
    rows: list[list]  # cells: str | int | float | None ("<5" strings on public tables)
    chart: str = ""  # "bar", "line" or "" (no chart); first column = labels
    note: str = ""  # e.g. how a figure is defined, in the active language


# --- who sees what -------------------------------------------------------------------------


def staff_offices(actor) -> list[Office]:
    """The offices whose figures ``actor`` may see: supervisors and analysts their own,
    administrators all; nobody else any."""
    if not permissions.can(actor, "stats_read"):  # cases.workflow.ACTIONS
        return []
    if actor.role == Role.ADMINISTRATOR:  # who may see what: from the primary, like the actor
        return list(Office.objects.order_by("code"))
    return list(actor.offices.order_by("code"))


def _require_staff(actor) -> list[Office]:
    if actor is None or not getattr(actor, "is_active", False) \
            or getattr(actor, "role", None) not in STAFF_ROLES:
        raise ApplicationError("forbidden", _("Your role does not allow viewing statistics."))
    return staff_offices(actor)


def _chosen(offices: list[Office], spec: StatsFilter) -> list[Office]:
    if spec.office_ids is None:
        return offices
    wanted = set(spec.office_ids)
    return [o for o in offices if o.pk in wanted]


def refreshed_at() -> dt.datetime | None:
    """When the figures were last rebuilt (None: never)."""
    return read(Refresh).order_by("-finished_at").values_list("finished_at", flat=True).first()


# --- periods and labels ----------------------------------------------------------------------


def month_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


def next_month(month: dt.date) -> dt.date:
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def months_between(first: dt.date, last: dt.date) -> list[dt.date]:
    months, month = [], month_of(first)
    while month <= last:
        months.append(month)
        month = next_month(month)
    return months


def _bounds(spec: StatsFilter) -> tuple[dt.date | None, dt.date | None]:
    return (month_of(spec.start) if spec.start else None,
            month_of(spec.end) if spec.end else None)


def _scope(spec: StatsFilter, offices: list[Office], *, dated: bool = True) -> Q:
    """The rows of the chosen offices, category and (if ``dated``) months of the period."""
    q = Q(office_id__in=[o.pk for o in offices])
    first, last = _bounds(spec)
    if dated and first:
        q &= Q(month__gte=first)
    if dated and last:
        q &= Q(month__lte=last)
    if spec.category:
        q &= Q(category=spec.category)
    return q


def _language() -> str:
    return "en" if (translation.get_language() or "").startswith("en") else "ru"


def month_label(month: dt.date) -> str:
    return formats.date_format(month, "YEAR_MONTH_FORMAT")


def month_labels(months: list[dt.date]) -> dict[dt.date, str]:
    """``month_label`` of each month, the format looked up once."""
    fmt = formats.get_format("YEAR_MONTH_FORMAT")
    return {month: dateformat.format(month, fmt) for month in months}


def day_label(day: dt.date) -> str:
    return formats.date_format(day, "SHORT_DATE_FORMAT")


def category_label(code: str) -> str:
    return rulebook.current().category_label(code, _language())


def office_label(office: Office) -> str:
    return office.name_en if _language() == "en" else office.name_ru


def state_label(code: str) -> str:
    return str(CaseState(code).label) if code in CaseState.values else code


def outcome_label(code: str) -> str:
    from casedesk.cases.workflow import Outcome

    if code in Outcome.values:
        return str(Outcome(code).label)
    return str(DecisionOutcome(code).label) if code in DecisionOutcome.values else code


def decision_label(code: str) -> str:
    return str(DecisionOutcome(code).label) if code in DecisionOutcome.values else code


def service_type_label(code: str) -> str:
    if code and code in ServiceType.values:
        return str(ServiceType(code).label)
    return _("not stated")


def region_labels() -> dict[str, str]:
    """Region key → label as this deployment publishes it (CASEDESK_REGION_LABELS)."""
    language = _language()
    return {code: region_label(iso_code=iso, name_ru=ru, name_en=en, language=language)
            for code, iso, ru, en in read(Region).values_list("code", "iso_code", "name_ru",
                                                              "name_en")}


def age_label(index: int) -> str:
    low, high = AGE_BUCKETS[index]
    if high is None:
        return _("more than %(days)s days") % {"days": low - 1}
    return _("%(low)s–%(high)s days") % {"low": low, "high": high}


# --- arithmetic ------------------------------------------------------------------------------


def percentile(histogram: dict[int, int], p: float) -> int | None:
    """The nearest-rank ``p``-th percentile of a {days: count} histogram: the smallest d
    such that at least p % of the counts are at d or below (None if empty)."""
    total = sum(histogram.values())
    if total <= 0:
        return None
    rank = max(1, math.ceil(p / 100 * total))
    seen = 0
    for days in sorted(histogram):
        seen += histogram[days]
        if seen >= rank:
            return days
    return max(histogram)


def share(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _sums(model, q: Q, group: list[str], measures: list[str]) -> dict[tuple, dict[str, int]]:
    rows = (read(model).filter(q).values(*group)
            .annotate(**{f"s_{m}": Sum(m) for m in measures}).order_by())
    return {tuple(r[g] for g in group): {m: r[f"s_{m}"] or 0 for m in measures} for r in rows}


def _histograms(model, q: Q, group: list[str]) -> dict[tuple, dict[int, int]]:
    out: dict[tuple, dict[int, int]] = defaultdict(dict)
    rows = read(model).filter(q).values(*group, "days").annotate(n=Sum("answers")).order_by()
    for r in rows:
        out[tuple(r[g] for g in group)][r["days"]] = r["n"]
    return out


def answer_times(spec: StatsFilter, offices: list[Office],
                 group: list[str]) -> dict[tuple, dict[int, int]]:
    """The histograms of days to answer in the period by ``group`` (not by month): its
    whole years from ``AnswerTimeYear``, the months before the first whole year and after
    the last from ``AnswerTimeRollup``. The sum is the same as over the months alone;
    all time at a million cases reads a tenth of the rows."""
    first, last = _bounds(spec)
    after = first.year + (first.month > 1) if first else None  # the first whole year
    before = last.year - (last.month < 12) if last else None  # the last whole year
    if after is not None and before is not None and after > before:
        return _histograms(AnswerTimeRollup, _scope(spec, offices), group)
    undated = _scope(spec, offices, dated=False)
    years = undated
    if after is not None:
        years &= Q(year__gte=after)
    if before is not None:
        years &= Q(year__lte=before)
    out = _histograms(AnswerTimeYear, years, group)
    edges = []
    if first and first.month > 1:  # from the first month to the first whole year
        edges.append(Q(month__gte=first, month__lt=dt.date(after, 1, 1)))
    if last and last.month < 12:  # from the last whole year to the last month
        edges.append(Q(month__gt=dt.date(before, 12, 1), month__lte=last))
    if edges:
        q = undated & (edges[0] | edges[1] if len(edges) == 2 else edges[0])
        for key, histogram in _histograms(AnswerTimeRollup, q, group).items():
            merged = out[key]
            for days, n in histogram.items():
                merged[days] = merged.get(days, 0) + n
    return out


def _total(histograms) -> dict[int, int]:
    merged: dict[int, int] = defaultdict(int)
    for histogram in histograms:
        for days, n in histogram.items():
            merged[days] += n
    return merged


def _month_range(spec: StatsFilter, present: list[dt.date]) -> list[dt.date]:
    """The months of the period, or of the data when the period is open-ended."""
    first, last = _bounds(spec)
    if first is None:
        if not present:
            return []
        first = min(present)
    if last is None:
        last = max([*present, month_of(timezone.localdate())])
    return months_between(first, last) if first <= last else []


# --- staff figures ---------------------------------------------------------------------------

MONTHLY = ["received", "registered", "answered", "answered_on_time", "answered_late",
           "extended", "closed", "forwarded", "left_unanswered", "withdrawn", "appeals"]


def staff_figures(*, actor, spec: StatsFilter) -> list[Table]:
    """Every table of the staff dashboard for the offices ``actor`` may see (narrowed by
    ``spec.office_ids``), the period and the category of ``spec`` (clamped: ``clamp``)."""
    offices = _chosen(_require_staff(actor), spec)
    spec = clamp(spec)
    return _cached("staff", offices, spec, lambda: figures_for(offices, spec))


@dataclass(frozen=True)
class UrgentCount:
    total: int
    by_office: list[tuple[str, int]]  # (office label, count) for every office shown


def staff_urgent(*, actor, spec: StatsFilter) -> UrgentCount:
    """The open cases flagged urgent (casedesk.urgency) and not cleared by staff, in the
    offices ``actor`` may see (narrowed by ``spec.office_ids``) and of ``spec.category``.
    Counted when asked, not by the refresh: it is the queue's filter "Urgent only" that
    the count leads to, and an urgent case cannot wait for the next refresh. Like the
    open cases, whatever the period. Read from the statistics' database; one query,
    nothing decrypted."""
    offices = _chosen(_require_staff(actor), spec)
    counts = urgency.urgent_open_by_office(office_ids=[o.pk for o in offices],
                                           category=spec.category,
                                           using=settings.CASEDESK_STATS_DATABASE)
    return UrgentCount(total=sum(counts.values()),
                       by_office=[(office_label(o), counts.get(o.pk, 0)) for o in offices])


MAX_MONTHS = 120  # the longest period a page computes: ten years


def data_months() -> tuple[dt.date, dt.date] | None:
    """The first and the last month that have figures (None: none yet)."""
    bounds = read(MonthlyRollup).aggregate(first=Min("month"), last=Max("month"))
    return (bounds["first"], bounds["last"]) if bounds["first"] else None


def clamp(spec: StatsFilter, bounds=(), today: dt.date | None = None) -> StatsFilter:
    """``spec`` with its period cut to the calendar years that have figures (up to this
    one) and to its last MAX_MONTHS months: a period of two thousand years costs what
    ten years of data cost, never more. A year asked for stays whole; open ends stay
    open (they run from the first figures to this month)."""
    if bounds == ():
        bounds = data_months()
    this_month = month_of(today or timezone.localdate())
    first, last = _bounds(spec)
    data_first, data_last = bounds or (this_month, this_month)
    latest = max(data_last, this_month)
    if last:
        last = min(last, dt.date(latest.year, 12, 1))
    if first:
        first = max(first, dt.date(data_first.year, 1, 1))
    earliest = _months_before(min(last or latest, latest), MAX_MONTHS - 1)
    if (first or data_first) < earliest:
        first = earliest
    return StatsFilter(start=first, end=last, office_ids=spec.office_ids,
                       category=spec.category)


def _months_before(month: dt.date, count: int) -> dt.date:
    index = month.year * 12 + month.month - 1 - count
    return dt.date(index // 12, index % 12 + 1, 1) if index >= 12 else dt.date(1, 1, 1)


CACHE_SECONDS = 6 * 3600


def stamp() -> tuple[int, dt.datetime] | None:
    """The last refresh (id, finished_at): every cached figure is keyed on it, so the next
    refresh makes them all stale."""
    return read(Refresh).order_by("-finished_at").values_list("pk", "finished_at").first()


def _cached(kind: str, offices: list[Office], spec: StatsFilter, build) -> list[Table]:
    """The tables from the cache, computed once per refresh, set of offices, filter,
    language and day: the figures change only when a refresh writes them. Without a
    refresh, or without a working cache, they are computed each time."""
    return remember((kind, sorted(o.pk for o in offices), spec.start, spec.end,
                     spec.category), build)


def remember(parts: tuple, build):
    """``build()`` from the cache, keyed on ``parts`` (normalised parameters), the last
    refresh, the language and the day. Without a refresh, or without a working cache, it
    is computed each time."""
    last = stamp()
    if last is None:
        return build()
    raw = repr((parts, last[0], last[1].isoformat(), _language(), timezone.localdate(),
                settings.CASEDESK_REGION_LABELS))
    key = "casedesk:stats:" + hashlib.sha256(raw.encode()).hexdigest()
    try:
        tables = cache.get(key)
    except Exception:  # a cache that is down must not take the figures with it
        return build()
    if tables is None:
        tables = build()
        try:
            cache.set(key, tables, CACHE_SECONDS)
        except Exception:
            logger.warning("statistics not cached: the cache is unavailable")
    return tables


def figures_for(offices: list[Office], spec: StatsFilter) -> list[Table]:
    """The staff tables for ``offices`` (already checked by the caller)."""
    scope = _scope(spec, offices)
    by_month = _sums(MonthlyRollup, scope, ["month"], MONTHLY)
    months = _month_range(spec, [key[0] for key in by_month])
    zero = dict.fromkeys(MONTHLY, 0)
    labels = month_labels(months)
    # One read each for the two tables of times to answer and the two breakdowns.
    by_office_category = answer_times(spec, offices, ["office_id", "category"])
    sums = breakdown_sums_each(spec, offices, ["region", "service_type"])
    return [
        _received_by_week(spec, offices),
        Table(
            key="received_by_month", chart="line",
            title=_("Cases received, registered and answered by month"),
            columns=[_("Month"), _("Received"), _("Registered"), _("Answered"), _("Closed")],
            rows=[[labels[m], *(by_month.get((m,), zero)[name] for name in
                                ("received", "registered", "answered", "closed"))]
                  for m in months],
            note=_("A case counts in the month it was received, registered, answered or "
                   "closed."),
        ),
        *_open_tables(spec, offices),
        _answer_time_by_category(by_office_category),
        _answer_time_by_office(by_office_category, offices),
        _on_time(scope, offices, spec),
        Table(
            key="extensions_by_month", chart="bar",
            title=_("Deadline extensions by month"),
            columns=[_("Month"), _("Extensions"), _("Answered")],
            rows=[[labels[m], by_month.get((m,), zero)["extended"],
                   by_month.get((m,), zero)["answered"]] for m in months],
            note=_("Extensions of a deadline granted in the month; a case extended twice "
                   "counts twice."),
        ),
        _decisions_by_outcome(scope),
        _by_region(sums["region"]),
        _by_service_type(sums["service_type"]),
    ]


def _received_by_week(spec: StatsFilter, offices: list[Office]) -> Table:
    """The last WEEKS weeks (Monday to Sunday) of the period that have begun."""
    first, last = _bounds(spec)
    today = timezone.localdate()
    end = min(next_month(last) - dt.timedelta(days=1), today) if last else today
    monday = end - dt.timedelta(days=end.weekday())
    start = monday - dt.timedelta(weeks=WEEKS - 1)
    if first and first > start:
        start = first
    counts: dict[dt.date, int] = defaultdict(int)
    if start <= end:
        q = _scope(spec, offices, dated=False) & Q(day__gte=start, day__lte=end)
        for day, n in (read(DailyReceived).filter(q).values("day")
                       .annotate(n=Sum("received")).values_list("day", "n").order_by()):
            counts[day - dt.timedelta(days=day.weekday())] += n
    weeks = []
    week = start - dt.timedelta(days=start.weekday())
    while week <= end:
        weeks.append(week)
        week += dt.timedelta(weeks=1)
    return Table(
        key="received_by_week", chart="bar",
        title=_("Cases received by week"),
        columns=[_("Week starting"), _("Received")],
        rows=[[day_label(w), counts.get(w, 0)] for w in weeks],
        note=_("The last 26 weeks of the period, Monday to Sunday."),
    )


def _open_tables(spec: StatsFilter, offices: list[Office]) -> list[Table]:
    q = _scope(spec, offices, dated=False)
    rows = list(read(OpenCases).filter(q).values("state", "category", "age_bucket", "overdue")
                .annotate(n=Sum("cases")).order_by())
    note = _("Cases open when the figures were computed, whatever the period; overdue: a "
             "running deadline has passed.")

    def tally(key) -> dict:
        out: dict = defaultdict(lambda: [0, 0])
        for r in rows:
            cell = out[r[key]]
            cell[0] += r["n"]
            if r["overdue"]:
                cell[1] += r["n"]
        return out

    states, categories, ages = tally("state"), tally("category"), tally("age_bucket")
    order = [s for s in CaseState.values if s in OPEN_STATES]
    return [
        Table(key="open_by_state", chart="bar", title=_("Open cases by state"),
              columns=[_("State"), _("Open"), _("Overdue")],
              rows=[[state_label(s), *states[s]] for s in order if s in states],
              note=note),
        Table(key="open_by_category", chart="bar", title=_("Open cases by category"),
              columns=[_("Category"), _("Open"), _("Overdue")],
              rows=[[category_label(c), *v] for c, v in
                    sorted(categories.items(), key=lambda kv: (-kv[1][0], kv[0]))],
              note=note),
        Table(key="backlog_age", chart="bar", title=_("Open cases by age"),
              columns=[_("Age"), _("Open"), _("Overdue")],
              rows=[[age_label(i), *ages.get(i, [0, 0])] for i in range(len(AGE_BUCKETS))],
              note=_("Age: days from the day the case was received to the day the figures "
                     "were computed.")),
    ]


def _time_note() -> str:
    return _("Days from registration (or reopening) to the answer on the merits; median and "
             "90th percentile by the nearest-rank method.")


def _time_row(label: str, histogram: dict[int, int]) -> list:
    return [label, sum(histogram.values()), percentile(histogram, 50), percentile(histogram, 90)]


def _time_columns(first: str) -> list[str]:
    return [first, _("Answered"), _("Median, days"), _("90th percentile, days")]


def _merged(histograms: dict[tuple, dict[int, int]], key: int) -> dict[tuple, dict[int, int]]:
    """The histograms summed over every part of their keys but the ``key``-th."""
    out: dict[tuple, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for keys, histogram in histograms.items():
        merged = out[(keys[key],)]
        for days, n in histogram.items():
            merged[days] += n
    return out


def _answer_time_by_category(by_office_category: dict[tuple, dict[int, int]]) -> Table:
    histograms = _merged(by_office_category, 1)
    rows = [_time_row(category_label(c), h) for (c,), h in histograms.items()]
    rows.sort(key=lambda r: (-r[1], r[0]))
    if len(rows) > 1:
        rows.append(_time_row(_("All categories"), _total(histograms.values())))
    return Table(key="answer_time_by_category", title=_("Time to answer by category"),
                 columns=_time_columns(_("Category")), rows=rows, chart="",
                 note=_time_note())


def _answer_time_by_office(by_office_category: dict[tuple, dict[int, int]],
                           offices: list[Office]) -> Table:
    histograms = _merged(by_office_category, 0)
    rows = [_time_row(office_label(o), histograms.get((o.pk,), {})) for o in offices]
    if len(rows) > 1:
        rows.append(_time_row(_("All offices"), _total(histograms.values())))
    return Table(key="answer_time_by_office", title=_("Time to answer by office"),
                 columns=_time_columns(_("Office")), rows=rows, note=_time_note())


def _on_time(scope: Q, offices: list[Office], spec: StatsFilter) -> Table:
    sums = _sums(MonthlyRollup, scope, ["office_id"], ["answered_on_time", "answered_late"])
    overdue = dict(read(OpenCases).filter(_scope(spec, offices, dated=False), overdue=True)
                   .values("office_id").annotate(n=Sum("cases"))
                   .values_list("office_id", "n").order_by())

    def row(label, on_time, late, open_overdue):
        return [label, on_time, late, share(on_time, on_time + late), open_overdue]

    rows = []
    for office in offices:
        s = sums.get((office.pk,), {"answered_on_time": 0, "answered_late": 0})
        rows.append(row(office_label(office), s["answered_on_time"], s["answered_late"],
                        overdue.get(office.pk, 0)))
    if len(rows) > 1:
        rows.append(row(_("All offices"), sum(r[1] for r in rows), sum(r[2] for r in rows),
                        sum(r[4] for r in rows)))
    return Table(
        key="on_time", title=_("Answers on time"),
        columns=[_("Office"), _("Answered on time"), _("Answered late"),
                 _("Share on time, %"), _("Open and overdue now")],
        rows=rows,
        note=_("On time: answered on or before the answer deadline, extensions included. "
               "The share is of the answers that had an answer deadline."),
    )


def _decisions_by_outcome(scope: Q) -> Table:
    counts = dict(read(DecisionFigures).filter(scope).values("outcome")
                  .annotate(n=Sum("decisions")).values_list("outcome", "n").order_by())
    order = [o for o in DecisionOutcome.values if o in counts] + \
        sorted(o for o in counts if o not in DecisionOutcome.values)
    return Table(key="decisions_by_outcome", chart="bar",
                 title=_("Commission decisions by outcome"),
                 columns=[_("Outcome"), _("Decisions")],
                 rows=[[decision_label(o), counts[o]] for o in order],
                 note=_("Signed decisions in force, in the month they were signed; a "
                        "corrected decision counts as its correction."))


def _breakdown_rows(sums: dict, labels, histograms: dict | None) -> list[list]:
    rows = []
    for (code,), s in sums.items():
        row = [labels(code), s["received"], s["answered"],
               share(s["answered_on_time"], s["answered_on_time"] + s["answered_late"])]
        if histograms is not None:
            row.append(percentile(histograms.get((code,), {}), 50))
        rows.append(row)
    rows.sort(key=lambda r: (-r[1], -r[2], r[0]))
    return rows


BREAKDOWN = ["received", "answered", "answered_on_time", "answered_late"]


def breakdown_sums(spec: StatsFilter, offices: list[Office], key: str,
                   measures: list[str] = BREAKDOWN) -> dict[tuple, dict[str, int]]:
    """Sums by region or service type: from their small rollups, or from the cube when a
    category is chosen (the rollups have none)."""
    if spec.category:
        return _sums(MonthlyFigures, _scope(spec, offices), [key], measures)
    model = RegionFigures if key == "region" else ServiceTypeFigures
    return _sums(model, _scope(StatsFilter(start=spec.start, end=spec.end), offices),
                 [key], measures)


def breakdown_sums_each(spec: StatsFilter, offices: list[Office], keys: list[str],
                        measures: list[str] = BREAKDOWN,
                        ) -> dict[str, dict[tuple, dict[str, int]]]:
    """``breakdown_sums`` for each of ``keys``; with a category, one read of the cube
    grouped by all of them, summed here for each."""
    if not spec.category:
        return {key: breakdown_sums(spec, offices, key, measures) for key in keys}
    crossed = _sums(MonthlyFigures, _scope(spec, offices), keys, measures)
    out = {}
    for i, key in enumerate(keys):
        sums: dict[tuple, dict[str, int]] = {}
        for codes, values in crossed.items():
            cell = sums.setdefault((codes[i],), dict.fromkeys(measures, 0))
            for m in measures:
                cell[m] += values[m]
        out[key] = sums
    return out


def _by_region(sums: dict[tuple, dict[str, int]]) -> Table:
    names = region_labels()
    return Table(
        key="by_region", chart="bar", title=_("Cases by region of the service member"),
        columns=[_("Region"), _("Received"), _("Answered"), _("Share on time, %")],
        rows=_breakdown_rows(sums, lambda code: names.get(code) or _("not stated"), None),
    )


def _by_service_type(sums: dict[tuple, dict[str, int]]) -> Table:
    return Table(
        key="by_service_type", chart="bar", title=_("Cases by service type"),
        columns=[_("Service type"), _("Received"), _("Answered"), _("Share on time, %")],
        rows=_breakdown_rows(sums, service_type_label, None),
    )


# --- public figures --------------------------------------------------------------------------


def _determined(values: list[int], hidden: set[int], primaries: set[int]) -> bool:
    """Whether some hidden primary cell can be worked out from the column's total, given
    that a reader knows the total, the cells shown, that each "<5" is 1-4 and each "…"
    at least SMALL."""
    if not any(i in primaries for i in hidden):
        return False
    total = sum(values[i] for i in hidden)
    low = {i: 1 if i in primaries else SMALL for i in hidden}
    high = {i: SMALL - 1 if i in primaries else math.inf for i in hidden}
    for i in hidden:
        if i not in primaries:
            continue
        others_low = sum(low[j] for j in hidden if j != i)
        others_high = sum(high[j] for j in hidden if j != i)
        can_low = max(low[i], total - others_high)
        can_high = min(high[i], total - others_low)
        if can_low >= can_high:
            return True
    return False


def suppress_column(values: list[int]) -> list[int | str] | None:
    """A column of counts as published: "<5" for 1-4, "…" for the cells hidden so that
    those cannot be worked out; None if no choice of cells protects it."""
    primaries = {i for i, v in enumerate(values) if 0 < v < SMALL}
    hidden = set(primaries)
    candidates = sorted((v, i) for i, v in enumerate(values) if v >= SMALL)
    while _determined(values, hidden, primaries):
        if not candidates:
            return None
        hidden.add(candidates.pop(0)[1])
    return [PRIMARY if i in primaries else SECONDARY if i in hidden else v
            for i, v in enumerate(values)]


def hidden(value: int) -> int | str:
    """A count in a column that is hidden as a whole (0 stays: it is about nobody)."""
    return 0 if value == 0 else PRIMARY if value < SMALL else SECONDARY


def publish(breakdowns: list[list[dict]], columns: list[str]) -> list[list[dict]]:
    """The breakdowns (lists of rows: dicts with raw counts under ``columns``) with their
    count cells suppressed; a column that cannot be protected in one breakdown is hidden
    in all of them (they share its total)."""
    out = [[dict(row) for row in rows] for rows in breakdowns]
    for column in columns:
        published = [suppress_column([row[column] for row in rows]) for rows in breakdowns]
        if any(p is None for p in published):
            published = [[hidden(row[column]) for row in rows] for rows in breakdowns]
        for rows, cells in zip(out, published, strict=True):
            for row, cell in zip(rows, cells, strict=True):
                row[column] = cell
    return out


def published_order(row: list) -> tuple:
    """The order of a published breakdown's rows (label first, then the count they are
    ordered by): the counts shown, largest first; then the rows whose count is hidden,
    "…" then "<5", then 0, each group by its label. Ordered by their hidden values, the
    rows would give them away: two "<5" that make 3, the larger first, are 2 and 1."""
    label, count = row[0], row[1]
    if isinstance(count, int) and count > 0:
        rank = (0, -count)
    else:
        rank = ({SECONDARY: 1, PRIMARY: 2}.get(count, 3), 0)
    return (*rank, str(label).casefold())


def _public_cells(row: dict, histogram: dict[int, int]) -> list:
    answered = row["answered"]
    with_deadline = row["answered_on_time"] + row["answered_late"]
    shown = isinstance(answered, int) and answered >= SMALL
    on_time = share(row["answered_on_time"], with_deadline) \
        if shown and with_deadline >= SMALL else None
    median = percentile(histogram, 50) \
        if shown and sum(histogram.values()) >= SMALL else None
    return [row["received"], answered, on_time, median]


def public_offices(spec: StatsFilter) -> list[Office]:
    offices = list(read(Office).filter(is_active=True).order_by("code"))
    return _chosen(offices, spec)


PUBLIC_MEASURES = ["received", "answered", "answered_on_time", "answered_late"]


def public_years(today: dt.date | None = None) -> list[int]:
    """The years the public figures are published for: from the first year with figures
    to this one (this one alone while there are none)."""
    this_year = (today or timezone.localdate()).year

    def build():
        bounds = data_months()
        return list(range(min(bounds[0].year, this_year) if bounds else this_year,
                          this_year + 1))

    return remember(("public-years", this_year), build)


def public_period(year: int) -> StatsFilter:
    """The one kind of period the public figures have: a calendar year. Periods that
    overlap (January-March and January-February) could be subtracted from each other to
    give a month's small counts; calendar years never overlap."""
    return StatsFilter(start=dt.date(year, 1, 1), end=dt.date(year, 12, 1))


def public_figures(*, year: int) -> list[Table]:
    """The published figures of calendar year ``year``: received, answered, share
    answered on time and median days to answer, by month, by category and by region, for
    active offices, all categories; small counts hidden (see the module's docstring)."""
    spec = public_period(year)
    offices = public_offices(spec)
    return _cached("public", offices, spec, lambda: _public_tables(spec, offices))


def _public_tables(spec: StatsFilter, offices: list[Office]) -> list[Table]:
    scope = _scope(spec, offices)
    by_month = _sums(MonthlyRollup, scope, ["month"], PUBLIC_MEASURES)
    months = _month_range(spec, [key[0] for key in by_month])
    zero = dict.fromkeys(PUBLIC_MEASURES, 0)
    by_category = _sums(MonthlyRollup, scope, ["category"], PUBLIC_MEASURES)
    by_region = breakdown_sums(spec, offices, "region", PUBLIC_MEASURES)
    raw = [
        [{"key": m, **by_month.get((m,), zero)} for m in months],
        [{"key": c, **v} for (c,), v in sorted(by_category.items(),
                                                key=lambda kv: (-kv[1]["received"], kv[0]))],
        [{"key": r, **v} for (r,), v in sorted(by_region.items(),
                                                key=lambda kv: (-kv[1]["received"], kv[0]))],
    ]
    hist_month = _histograms(AnswerTimeRollup, scope, ["month"])
    hist_category = answer_times(spec, offices, ["category"])
    hist_region = _histograms(AnswerTime, scope, ["region"])
    months_rows, category_rows, region_rows = publish(raw, ["received", "answered"])
    names = region_labels()
    columns = [_("Received"), _("Answered"), _("Answered on time, %"),
               _("Median days to answer")]
    note = public_note()
    return [
        Table(key="by_month", chart="line", title=_("Appeals by month"),
              columns=[_("Month"), *columns], note=note,
              rows=[[month_label(r["key"]), *_public_cells(r, hist_month.get((r["key"],), {}))]
                    for r in months_rows]),
        Table(key="by_category", chart="bar", title=_("Appeals by category"),
              columns=[_("Category"), *columns], note=note,
              rows=sorted(([category_label(r["key"]),
                            *_public_cells(r, hist_category.get((r["key"],), {}))]
                           for r in category_rows), key=published_order)),
        Table(key="by_region", chart="bar", title=_("Appeals by region"),
              columns=[_("Region"), *columns], note=note,
              rows=sorted(([names.get(r["key"]) or _("not stated"),
                            *_public_cells(r, hist_region.get((r["key"],), {}))]
                           for r in region_rows), key=published_order)),
    ]


def public_note() -> str:
    return _("Cases received and answers given in the period. “<5”: from 1 to 4, not "
             "published so that nobody can be recognised; “…”: not published so that a "
             "small figure cannot be worked out from the others. Shares and medians only "
             "from 5 answers or more.")


# --- downloads -------------------------------------------------------------------------------


def table_csv(table: Table) -> str:
    """The table as CSV text, header row first; empty cells for None."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(table.columns)
    for row in table.rows:
        writer.writerow(["" if cell is None else cell for cell in row])
    return out.getvalue()


def tables_json(tables: list[Table], *, licence: str) -> dict:
    """The tables for a JSON download; ``generated_at`` is when the figures were
    computed (the last refresh), or now if they never were."""
    at = refreshed_at() or timezone.now()
    return {
        "generated_at": at.isoformat(),
        "licence": licence,
        "tables": [{"key": t.key, "title": str(t.title), "columns": [str(c) for c in t.columns],
                    "rows": [list(r) for r in t.rows]} for t in tables],
    }

