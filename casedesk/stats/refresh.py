"""Rebuilding the precomputed figures from the case tables.

``stats_refresh`` replaces every statistics table in one transaction, with INSERT ...
SELECT ... GROUP BY statements over cases, appeals, timeline events, deadlines and
commission decisions: no row of a case ever travels to Python, and a reader sees the
previous figures until the commit and the new ones after it, never a mixture. The
SELECTs are built with the ORM (so the same code runs on PostgreSQL and SQLite); each
source first writes its counts to ``Staging``, from which the cube and the histogram are
summed, and the rollups are summed from those. On PostgreSQL the whole refresh reads one
snapshot (REPEATABLE READ), so all tables describe the same moment, and refreshes take
turns (an advisory lock); on SQLite the write transaction does both.

Definitions (docs/statistics.md says the same for readers). Dates are calendar dates in
the time zone of the installation (settings.TIME_ZONE), the one the deadlines use; a
figure "of a month" counts what happened in that month.

- **received**: a case opened in the month (``Case.received_at``). A case is one matter;
  ``appeals`` counts the appeals (letters, web forms) received in the month, including
  later appeals added to an existing case.
- **registered**: a case registered in the month (``Case.registered_at``).
- **answered**: an answer on the merits given in the month: a ``state_changed`` event with
  the transition ``answer``. A case that is reopened and answered again counts each time.
  Forwarding to the competent body, leaving unanswered (lawful grounds), withdrawal and
  closing are counted apart (``forwarded``, ``left_unanswered``, ``withdrawn``,
  ``closed``), from their transitions, in the month they happened.
- **answer period** of an answer: the case's ``answer`` deadline row (rulebook rule
  ``answer``) that the answer closed, i.e. the one whose ``closed_on`` is the day of the
  answer. It starts on registration (or on reopening: the rule's ``starts_on``).
- **on time / late**: the answer period's deadline was met (``Deadline.met``: answered on
  or before ``due_on``, extensions included) or missed. An answer under a procedure
  without an ``answer`` rule (1-FKZ complaints) is neither; the share on time is
  on time / (on time + late).
- **time to answer**: whole calendar days from the start of the answer period (without a
  deadline row: from registration) to the day of the answer; 0 = answered the day it was
  registered. Kept as a histogram per month, office, category and region (one bucket per
  day; HISTOGRAM_CAP and more in the last), so that the median and the 90th percentile of
  any selection are exact: the nearest-rank percentile (the smallest number of days d such
  that at least p % of the answers took d days or fewer).
- **extended**: deadline extensions granted in the month (``deadline_extended`` events;
  one case extended twice counts twice).
- **open** (snapshot at the refresh): a case in one of ``OPEN_STATES``. Its **backlog
  age** is whole days from the day it was received to the day of the refresh (buckets
  0-30, 31-60, 61-90, more than 90). It is **overdue** when one of its running deadlines
  has passed: ``next_due_on`` (the earliest due date of its open deadlines) is before the
  day of the refresh.
- **commission decisions**: signed decisions in force (a decision that was corrected is
  replaced by its correction), in the month the decision in force was signed, by outcome.

Categories, regions and service types are the case's and its service member's values at
the time of the refresh (a corrected category moves the whole history of the case).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import DatabaseError, connection, transaction
from django.db.models import (
    BooleanField,
    CharField,
    Count,
    DateField,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    Sum,
    Value,
    When,
)
from django.db.models import Case as Switch
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, ExtractYear, TruncDate, TruncMonth
from django.utils import timezone

from casedesk.cases.events import EventKind
from casedesk.cases.models import Appeal, Case, CaseEvent, Deadline
from casedesk.core.states import OPEN_STATES
from casedesk.review.models import Decision

from .models import (
    AnswerTime,
    AnswerTimeRollup,
    AnswerTimeYear,
    DailyReceived,
    DecisionFigures,
    MonthlyFigures,
    MonthlyRollup,
    OpenCases,
    OutcomeFigures,
    Refresh,
    RegionFigures,
    ServiceTypeFigures,
    Staging,
)

logger = logging.getLogger(__name__)

# Days to answer at or above this share the last bucket of the histogram.
HISTOGRAM_CAP = 366
# Backlog age buckets: (lowest age in days, highest or None).
AGE_BUCKETS = ((0, 30), (31, 60), (61, 90), (91, None))
ANSWER_RULE = "answer"
# The transition behind each counted ending, and the cube column it adds to.
ENDINGS = {
    "close": "closed",
    "forward": "forwarded",
    "leave_unanswered": "left_unanswered",
    "withdraw": "withdrawn",
}
MEASURES = ("received", "appeals", "registered", "answered", "answered_on_time",
            "answered_late", "extended", "closed", "forwarded", "left_unanswered", "withdrawn")
ANSWER = "answer"  # the staging measure of answers (with met and days)
KEEP_REFRESHES = 50
LOCK = 0x57A75  # the PostgreSQL advisory lock that refreshes take turns on


@dataclass(frozen=True)
class RefreshResult:
    started_at: dt.datetime
    seconds: float
    rows: dict[str, int]


class DaysBetween(Func):
    """Whole days from the second date to the first (dates, not times)."""

    arity = 2
    output_field = IntegerField()

    def as_sql(self, compiler, connection, **extra_context):
        (later, later_params), (earlier, earlier_params) = (
            compiler.compile(e) for e in self.get_source_expressions())
        return f"({later} - {earlier})", (*later_params, *earlier_params)

    def as_sqlite(self, compiler, connection, **extra_context):
        (later, later_params), (earlier, earlier_params) = (
            compiler.compile(e) for e in self.get_source_expressions())
        return (f"CAST(julianday({later}) - julianday({earlier}) AS INTEGER)",
                (*later_params, *earlier_params))


# --- the sources -----------------------------------------------------------------------------


def _month(expression) -> TruncMonth:
    return TruncMonth(expression, output_field=DateField())


def _keys(prefix: str) -> dict:
    """The cube's key columns, reached from a row that has a case at ``prefix``."""
    return {
        "k_office": F(f"{prefix}office_id"),
        "k_category": F(f"{prefix}category"),
        "k_region": F(f"{prefix}service_member__region__code"),
        "k_service_type": F(f"{prefix}service_member__service_type"),
    }


def _answers() -> Q:
    return Q(kind=EventKind.STATE_CHANGED, data__transition=ANSWER)


def _counted(queryset):
    return queryset.annotate(n=Count("id")).order_by()


def _staged_sources():
    """(measure, queryset) pairs: each queryset has the cube's keys (month, k_office,
    k_category, k_region, k_service_type), n, and for answers met and days; a measure of
    None means the queryset names it in a column ``measure``."""
    received = _counted(Case.objects.values(month=_month("received_at"), **_keys("")))
    registered = _counted(Case.objects.filter(registered_at__isnull=False)
                          .values(month=_month("registered_at"), **_keys("")))
    appeals = _counted(Appeal.objects.values(month=_month("received_at"), **_keys("case__")))
    # Endings and extensions in one pass over the timeline.
    measure = Switch(
        When(kind=EventKind.DEADLINE_EXTENDED, then=Value("extended")),
        *(When(data__transition=name, then=Value(column)) for name, column in ENDINGS.items()),
        output_field=CharField(),
    )
    wanted = (Q(kind=EventKind.STATE_CHANGED, data__transition__in=list(ENDINGS))
              | Q(kind=EventKind.DEADLINE_EXTENDED))
    events = _counted(CaseEvent.objects.filter(wanted)
                      .values(month=_month("at"), measure=measure, **_keys("case__")))
    # An answer closes the case's running answer deadline on the day of the answer: the
    # closed answer deadlines with an answer that day are the answers that had one (met,
    # days from its start); the other answers count from registration and are neither
    # on time nor late. Both are semi-joins (hash joins), not a lookup per answer.
    answer_that_day = (CaseEvent.objects.filter(_answers(), case_id=OuterRef("case_id"))
                       .annotate(day=TruncDate("at")).filter(day=OuterRef("closed_on")))
    timed = _counted(
        Deadline.objects.filter(rule=ANSWER_RULE, closed_on__isnull=False)
        .filter(Exists(answer_that_day))
        .values("met", days=DaysBetween("closed_on", "starts_on"),
                month=_month("closed_on"), **_keys("case__")))
    deadline_that_day = Deadline.objects.filter(case_id=OuterRef("case_id"), rule=ANSWER_RULE,
                                                closed_on=OuterRef("day"))
    untimed = _counted(
        CaseEvent.objects.filter(_answers())
        .annotate(day=TruncDate("at"))
        .filter(~Exists(deadline_that_day))
        .values(met=Cast(Value(None), output_field=BooleanField()),
                days=DaysBetween(TruncDate("at"), TruncDate("case__registered_at")),
                month=_month("at"), **_keys("case__")))
    return [("received", received), ("registered", registered), ("appeals", appeals),
            (None, events), (ANSWER, timed), (ANSWER, untimed)]


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _open_cases(today: dt.date):
    whens = [When(received_at__gte=_start_of(today - dt.timedelta(days=high)), then=Value(i))
             for i, (_low, high) in enumerate(AGE_BUCKETS) if high is not None]
    bucket = Switch(*whens, default=Value(len(AGE_BUCKETS) - 1), output_field=IntegerField())
    overdue = Switch(When(next_due_on__lt=today, then=Value(True)), default=Value(False),
                     output_field=BooleanField())
    return _counted(Case.objects.filter(state__in=list(OPEN_STATES))
                    .values("office_id", "state", "category", bucket=bucket, overdue=overdue))


def _daily():
    return _counted(Case.objects.values("office_id", "category", day=TruncDate("received_at")))


def _outcomes():
    return _counted(CaseEvent.objects.filter(_answers())
                    .values(month=_month("at"), k_office=F("case__office_id"),
                            k_category=F("case__category"), outcome=KT("data__outcome")))


def _answer_years():
    """The monthly histogram (already written) summed by year."""
    return (AnswerTimeRollup.objects
            .values("office_id", "category", "days", year=ExtractYear("month"))
            .annotate(n=Sum("answers")).order_by())


def _decisions():
    return _counted(Decision.objects.filter(corrected_by__isnull=True)
                    .values("outcome", month=_month("signed_at"),
                            k_office=F("item__referral__case__office_id"),
                            k_category=F("item__referral__case__category")))


# --- writing ---------------------------------------------------------------------------------


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _table(model) -> str:
    return _q(model._meta.db_table)


def _execute(sql: str, params=()) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return max(cursor.rowcount, 0)


def _insert(model, columns: list[str], select: str, params=()) -> int:
    """INSERT INTO ``model``'s table ``select``. The SQL in this module is made of
    constants, quoted table and column names, and ORM-compiled SELECTs with their
    parameters passed apart: nothing from a user is ever pasted into it."""
    names = ", ".join(_q(model._meta.get_field(c).column) for c in columns)
    return _execute(f"INSERT INTO {_table(model)} ({names}) {select}", params)


def _from(queryset) -> tuple[str, tuple]:
    sql, params = queryset.query.sql_with_params()
    return f"FROM ({sql}) q", tuple(params)


def _stage(measure: str | None, queryset) -> int:
    source, params = _from(queryset)
    answer = measure == ANSWER
    select = (
        f"SELECT q.month, q.k_office, q.k_category, COALESCE(q.k_region, ''), "
        f"COALESCE(q.k_service_type, ''), {'q.measure' if measure is None else '%s'}, "
        f"{'q.met' if answer else 'NULL'}, {'q.days' if answer else 'NULL'}, q.n {source}"
    )
    return _insert(Staging, ["month", "office", "category", "region", "service_type",
                             "measure", "met", "days", "n"],
                   select, ((measure,) if measure is not None else ()) + params)


def _sum_if(condition: str) -> str:
    return f"SUM(CASE WHEN {condition} THEN n ELSE 0 END)"


def _build_cube() -> int:
    keys = ["month", "office", "category", "region", "service_type"]
    key_sql = "month, office_id, category, region, service_type"
    sums = [
        _sum_if("measure = 'received'"), _sum_if("measure = 'appeals'"),
        _sum_if("measure = 'registered'"), _sum_if(f"measure = '{ANSWER}'"),
        _sum_if(f"measure = '{ANSWER}' AND met"), _sum_if(f"measure = '{ANSWER}' AND NOT met"),
        _sum_if("measure = 'extended'"), _sum_if("measure = 'closed'"),
        _sum_if("measure = 'forwarded'"), _sum_if("measure = 'left_unanswered'"),
        _sum_if("measure = 'withdrawn'"),
    ]
    return _insert(MonthlyFigures, [*keys, *MEASURES],
                   f"SELECT {key_sql}, {', '.join(sums)} FROM {_table(Staging)} "  # noqa: S608
                   f"GROUP BY {key_sql} ORDER BY office_id, category, month")


def _build_histogram() -> int:
    days = f"CASE WHEN days < 0 THEN 0 WHEN days > {HISTOGRAM_CAP} THEN {HISTOGRAM_CAP} " \
           f"ELSE days END"
    return _insert(AnswerTime, ["month", "office", "category", "region", "days", "answers"],
                   f"SELECT month, office_id, category, region, {days}, SUM(n) "  # noqa: S608
                   f"FROM {_table(Staging)} WHERE measure = '{ANSWER}' AND days IS NOT NULL "
                   f"GROUP BY month, office_id, category, region, {days} "
                   f"ORDER BY office_id, month")


def _build_rollups() -> dict[str, int]:
    sums = ", ".join(f"SUM({_q(m)})" for m in MEASURES)
    monthly = _insert(MonthlyRollup, ["month", "office", "category", *MEASURES],
                      f"SELECT month, office_id, category, {sums} FROM "  # noqa: S608
                      f"{_table(MonthlyFigures)} GROUP BY month, office_id, category "
                      f"ORDER BY office_id, month")
    answers = _insert(AnswerTimeRollup, ["month", "office", "category", "days", "answers"],
                      f"SELECT month, office_id, category, days, SUM(answers) FROM "  # noqa: S608
                      f"{_table(AnswerTime)} GROUP BY month, office_id, category, days "
                      f"ORDER BY office_id, month")
    years = _copy(AnswerTimeYear, ["year", "office", "category", "days", "answers"],
                  ["year", "office_id", "category", "days", "n"], _answer_years(),
                  order="office_id year")
    breakdown = ["received", "answered", "answered_on_time", "answered_late"]
    sums = ", ".join(f"SUM({_q(m)})" for m in breakdown)
    regions = _insert(RegionFigures, ["month", "office", "region", *breakdown],
                      f"SELECT month, office_id, region, {sums} FROM "  # noqa: S608
                      f"{_table(MonthlyFigures)} GROUP BY month, office_id, region "
                      f"ORDER BY office_id, month")
    service_types = _insert(ServiceTypeFigures, ["month", "office", "service_type", *breakdown],
                            f"SELECT month, office_id, service_type, {sums} FROM "  # noqa: S608
                            f"{_table(MonthlyFigures)} GROUP BY month, office_id, "
                            f"service_type ORDER BY office_id, month")
    return {"monthlyrollup": monthly, "answertimerollup": answers, "answertimeyear": years,
            "regionfigures": regions, "servicetypefigures": service_types}


def _copy(model, columns: list[str], aliases: list[str], queryset, order: str = "") -> int:
    source, params = _from(queryset)
    order_by = f" ORDER BY {', '.join(f'q.{_q(a)}' for a in order.split())}" if order else ""
    return _insert(model, columns,
                   f"SELECT {', '.join(f'q.{_q(a)}' for a in aliases)} {source}{order_by}",
                   params)


TABLES = [MonthlyFigures, MonthlyRollup, RegionFigures, ServiceTypeFigures, AnswerTime,
          AnswerTimeRollup, AnswerTimeYear, DailyReceived, OpenCases, DecisionFigures,
          OutcomeFigures]


def rebuild(today: dt.date) -> dict[str, int]:
    """Replace the contents of every statistics table (inside the caller's transaction)."""
    _empty_staging()
    for model in TABLES:
        model.objects.all().delete()  # one DELETE each: nothing refers to these rows
    for measure, queryset in _staged_sources():
        _stage(measure, queryset)
    rows = {"monthlyfigures": _build_cube(), "answertime": _build_histogram()}
    rows.update(_build_rollups())
    rows["dailyreceived"] = _copy(DailyReceived, ["day", "office", "category", "received"],
                                  ["day", "office_id", "category", "n"], _daily(),
                                  order="office_id day")
    rows["opencases"] = _copy(OpenCases, ["office", "state", "category", "age_bucket",
                                          "overdue", "cases"],
                              ["office_id", "state", "category", "bucket", "overdue", "n"],
                              _open_cases(today))
    rows["decisionfigures"] = _copy(DecisionFigures, ["month", "office", "category", "outcome",
                                                      "decisions"],
                                    ["month", "k_office", "k_category", "outcome", "n"],
                                    _decisions())
    rows["outcomefigures"] = _copy(OutcomeFigures, ["month", "office", "category", "outcome",
                                                    "answers"],
                                   ["month", "k_office", "k_category", "outcome", "n"],
                                   _outcomes())
    _empty_staging()
    return rows


def _empty_staging() -> None:
    """On PostgreSQL TRUNCATE: no page reads the scratch table, so its lock stops nobody,
    and it leaves no dead rows (millions at a million cases) behind for a VACUUM."""
    if connection.vendor == "postgresql":
        _execute(f"TRUNCATE {_table(Staging)}")
    else:
        Staging.objects.all().delete()


def _tidy() -> None:
    """After the commit, on PostgreSQL: VACUUM the tables just rewritten (the previous
    rows are dead, the new ones not yet known to be visible to all) and ANALYZE them (the
    planner would still see the sizes of the tables before). Otherwise the first reads
    after a refresh set hint bits on every page they touch, cannot scan the covering
    indexes alone and may be planned for empty tables: hundreds of milliseconds on the
    first dashboard of each filter at a million cases. ``Staging`` is truncated instead.
    If this fails, autovacuum does it later: the figures are committed either way."""
    clock = time.perf_counter()
    tables = ", ".join(_table(model) for model in TABLES)
    try:
        _execute(f"VACUUM (ANALYZE) {tables}")
    except DatabaseError:
        logger.warning("statistics tables not vacuumed after the refresh", exc_info=True)
        return
    logger.info("statistics tables vacuumed: seconds=%.2f", time.perf_counter() - clock)


@contextmanager
def _exclusive(outermost: bool):
    """On PostgreSQL, one refresh at a time, waiting before its snapshot is taken (so it
    sees what the previous one committed). SQLite serialises write transactions itself."""
    if not (outermost and connection.vendor == "postgresql"):
        yield
        return
    _execute("SELECT pg_advisory_lock(%s)", [LOCK])
    try:
        yield
    finally:
        _execute("SELECT pg_advisory_unlock(%s)", [LOCK])


def stats_refresh(*, trigger: str = "command", now: dt.datetime | None = None) -> RefreshResult:
    """Recompute every figure as of ``now`` and replace the statistics tables atomically.

    On PostgreSQL, when this is the outermost transaction: one REPEATABLE READ snapshot,
    and hash joins instead of nested loops (the planner cannot estimate the filters on
    event data and would look up every answer's deadline one by one), with the memory to
    group without spilling to disk; the settings end with the transaction. After the
    commit, the tables are vacuumed and analysed (``_tidy``)."""
    started_at = now or timezone.now()
    clock = time.perf_counter()
    today = timezone.localdate(started_at)
    outermost = not connection.in_atomic_block
    with _exclusive(outermost):
        with transaction.atomic():
            if outermost and connection.vendor == "postgresql":
                _execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                _execute("SET LOCAL enable_nestloop = off")
                _execute("SET LOCAL work_mem = '64MB'")
            rows = rebuild(today)
            seconds = time.perf_counter() - clock
            Refresh.objects.create(started_at=started_at, finished_at=timezone.now(),
                                   today=today, seconds=round(seconds, 3), trigger=trigger,
                                   rows=rows)
            old = list(Refresh.objects.order_by("-finished_at")
                       .values_list("pk", flat=True)[KEEP_REFRESHES:])
            if old:
                Refresh.objects.filter(pk__in=old).delete()
        if outermost and connection.vendor == "postgresql":
            _tidy()
    logger.info("statistics refreshed: trigger=%s seconds=%.2f", trigger, seconds)
    return RefreshResult(started_at=started_at, seconds=seconds, rows=rows)
