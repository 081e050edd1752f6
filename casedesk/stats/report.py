"""The annual report of one office for one year: PDF (WeasyPrint) and CSV.

It carries what an ombudsman's annual report states about appeals: how many came in and
were answered, by month, category, region and service type, how they ended, how long
the answers took and how many were on time, and the commission's decisions. Everything is
read from the precomputed tables (``manage.py stats_refresh`` first).

The report is meant to be published. The office's totals for the year are exact; in the
breakdowns a count from 1 to 4 is "<5" and the cells that would let one work it out from
the totals are "…" (the rules of the public figures, ``selectors.suppress_column``).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from pathlib import Path

from django.db.models import Q, Sum
from django.template.loader import render_to_string
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from casedesk.accounts.models import Office
from casedesk.cases.workflow import Outcome
from casedesk.review.models import DecisionOutcome

from . import selectors
from .models import (
    AnswerTime,
    DecisionFigures,
    MonthlyRollup,
    OutcomeFigures,
)
from .selectors import PRIMARY, SECONDARY, SMALL, StatsFilter, Table, percentile, share

TEMPLATE = "stats/report/annual.html"
MEASURES = ["received", "appeals", "registered", "answered", "answered_on_time",
            "answered_late", "extended", "closed", "forwarded", "left_unanswered", "withdrawn"]
LANGUAGES = ("ru", "en")


@dataclass
class AnnualReport:
    office: Office
    year: int
    language: str
    office_name: str
    empty: bool
    summary: Table
    tables: list[Table] = field(default_factory=list)
    refreshed_at: dt.datetime | None = None

    def all_tables(self) -> list[Table]:
        return [self.summary, *self.tables]


# --- the figures -----------------------------------------------------------------------------


def _protect(rows: list[list], count_columns: list[int]) -> list[list]:
    """Suppress the count columns of a breakdown whose totals the report publishes."""
    out = [list(r) for r in rows]
    for column in count_columns:
        cells = selectors.suppress_column([r[column] for r in rows])
        if cells is None:
            cells = [selectors.hidden(r[column]) for r in rows]
        for row, cell in zip(out, cells, strict=True):
            row[column] = cell
    return out


def _derived(answered, on_time: int, late: int, histogram: dict[int, int]) -> list:
    """Share on time and median days, only where the answered count is shown and >= 5."""
    if not (isinstance(answered, int) and answered >= SMALL):
        return [None, None]
    with_deadline = on_time + late
    return [share(on_time, with_deadline) if with_deadline >= SMALL else None,
            percentile(histogram, 50)]


def _breakdown(key: str, title: str, first: str, sums: dict, histograms: dict, labels,
               *, total_received: int) -> Table:
    ordered = sorted(sums.items(), key=lambda kv: (-kv[1]["received"], -kv[1]["answered"],
                                                   str(kv[0])))
    raw = [[labels(code), s["received"], s["answered"]] for (code,), s in ordered]
    published = _protect(raw, [1, 2])
    rows = []
    for row, ((code,), s) in zip(published, ordered, strict=True):
        received = row[1]
        part = share(received, total_received) if isinstance(received, int) else None
        rows.append([row[0], received, part, row[2],
                     *_derived(row[2], s["answered_on_time"], s["answered_late"],
                               histograms.get((code,), {}))])
    rows.sort(key=selectors.published_order)
    return Table(key=key, title=title, chart="bar",
                 columns=[first, _("Received"), _("Share of all received, %"), _("Answered"),
                          _("Answered on time, %"), _("Median days to answer")],
                 rows=rows)


def annual_report(*, office: Office, year: int, language: str) -> AnnualReport:
    """The figures of ``office`` for ``year`` with labels in ``language``."""
    with translation.override(language):
        spec = StatsFilter(start=dt.date(year, 1, 1), end=dt.date(year, 12, 1))
        scope = selectors._scope(spec, [office])
        totals = _sums_all(MonthlyRollup, scope)
        histogram = selectors._total(
            selectors.answer_times(spec, [office], ["office_id"]).values())
        decisions = dict(selectors.read(DecisionFigures).filter(scope).values("outcome")
                         .annotate(n=Sum("decisions")).values_list("outcome", "n").order_by())
        empty = not any(totals[m] for m in ("received", "appeals", "answered", "closed",
                                            "forwarded", "withdrawn", "left_unanswered")) \
            and not decisions
        summary = _summary(totals, histogram, sum(decisions.values()))
        tables = [] if empty else _tables(spec, office, scope, totals, decisions)
        return AnnualReport(office=office, year=year, language=language,
                            office_name=selectors.office_label(office), empty=empty,
                            summary=summary, tables=tables,
                            refreshed_at=selectors.refreshed_at())


def _sums_all(model, scope: Q) -> dict[str, int]:
    values = selectors.read(model).filter(scope).aggregate(**{m: Sum(m) for m in MEASURES})
    return {m: values[m] or 0 for m in MEASURES}


def _summary(totals: dict[str, int], histogram: dict[int, int], decisions: int) -> Table:
    on_time, late = totals["answered_on_time"], totals["answered_late"]
    items = [
        (_("Cases received"), totals["received"]),
        (_("Appeals received (letters, forms, messages)"), totals["appeals"]),
        (_("Cases registered"), totals["registered"]),
        (_("Answers on the merits"), totals["answered"]),
        (_("Answered on time"), on_time),
        (_("Answered late"), late),
        (_("Share answered on time, %"), share(on_time, on_time + late)),
        (_("Median days to answer"), percentile(histogram, 50)),
        (_("90th percentile of days to answer"), percentile(histogram, 90)),
        (_("Deadline extensions"), totals["extended"]),
        (_("Forwarded to the competent body"), totals["forwarded"]),
        (_("Left unanswered on lawful grounds"), totals["left_unanswered"]),
        (_("Withdrawn by the applicant"), totals["withdrawn"]),
        (_("Cases closed"), totals["closed"]),
        (_("Commission decisions"), decisions),
    ]
    return Table(key="summary", title=_("The year in figures"),
                 columns=[_("Figure"), _("Value")], rows=[[k, v] for k, v in items])


def _tables(spec, office: Office, scope: Q, totals: dict[str, int],
            decisions: dict[str, int]) -> list[Table]:
    measures = ["received", "answered", "answered_on_time", "answered_late"]
    by_month = selectors._sums(MonthlyRollup, scope, ["month"], measures)
    # The months that have begun (the report of the current year is a report so far).
    months = [m for m in selectors.months_between(spec.start, spec.end)
              if m <= timezone.localdate()]
    zero = dict.fromkeys(measures, 0)
    month_rows = _protect([[selectors.month_label(m), by_month.get((m,), zero)["received"],
                            by_month.get((m,), zero)["answered"]] for m in months], [1, 2])
    outcomes = dict(selectors.read(OutcomeFigures).filter(scope).values("outcome")
                    .annotate(n=Sum("answers")).values_list("outcome", "n").order_by())
    outcome_codes = [o for o in Outcome.values if outcomes.get(o)] + \
        sorted(o for o in outcomes if o not in Outcome.values and outcomes[o])
    outcome_rows = _protect([[selectors.outcome_label(o) if o else _("not stated"),
                              outcomes[o]] for o in outcome_codes], [1])
    decision_codes = [o for o in DecisionOutcome.values if decisions.get(o)] + \
        sorted(o for o in decisions if o not in DecisionOutcome.values)
    decision_rows = _protect([[selectors.decision_label(o), decisions[o]]
                              for o in decision_codes], [1])
    names = selectors.region_labels()
    return [
        Table(key="by_month", title=_("Cases received and answered by month"), chart="bar",
              columns=[_("Month"), _("Received"), _("Answered")], rows=month_rows),
        _breakdown("by_category", _("Appeals by category"), _("Category"),
                   selectors._sums(MonthlyRollup, scope, ["category"], measures),
                   selectors.answer_times(spec, [office], ["category"]),
                   selectors.category_label, total_received=totals["received"]),
        Table(key="outcomes", title=_("Outcomes of the answers on the merits"), chart="bar",
              columns=[_("Outcome"), _("Answers")], rows=outcome_rows),
        _breakdown("by_region", _("Appeals by region of the service member"), _("Region"),
                   selectors.breakdown_sums(spec, [office], "region"),
                   selectors._histograms(AnswerTime, scope, ["region"]),
                   lambda code: names.get(code) or _("not stated"),
                   total_received=totals["received"]),
        _breakdown("by_service_type", _("Appeals by service type"), _("Service type"),
                   selectors.breakdown_sums(spec, [office], "service_type"),
                   {}, selectors.service_type_label, total_received=totals["received"]),
        Table(key="decisions", title=_("Commission decisions by outcome"), chart="bar",
              columns=[_("Outcome"), _("Decisions")], rows=decision_rows),
    ]


# --- output ----------------------------------------------------------------------------------


def number(value) -> str:
    """A cell for people: numbers in the report's language ("1 234,5"), "—" for none."""
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    if isinstance(value, float):
        return formats.number_format(value, decimal_pos=1, use_l10n=True, force_grouping=True)
    return formats.number_format(value, use_l10n=True, force_grouping=True)


def _bar(value, largest: int) -> float:
    return round(100 * value / largest, 1) if isinstance(value, int) and largest else 0.0


def _display(table: Table) -> dict:
    """A table with its cells formatted, and bar widths for the first count column (in
    the narrow tables: a wide one has no room for the bars)."""
    counts = [r[1] for r in table.rows if len(r) > 1 and isinstance(r[1], int)]
    largest = max(counts, default=0)
    bars = bool(table.chart) and len(table.columns) <= 3
    return {
        "key": table.key, "title": table.title, "columns": table.columns,
        "rows": [{"label": r[0], "cells": [number(c) for c in r[1:]],
                  "bar": _bar(r[1], largest) if bars else None}
                 for r in table.rows],
    }


def render_html(report: AnnualReport) -> str:
    with translation.override(report.language):
        now = timezone.localtime()
        context = {
            "report": report,
            "language": report.language,
            "summary": _display(report.summary),
            "tables": [_display(t) for t in report.tables],
            "generated_on": formats.date_format(now.date(), "DATE_FORMAT"),
            "refreshed_at": (formats.date_format(timezone.localtime(report.refreshed_at),
                                                 "DATETIME_FORMAT")
                             if report.refreshed_at else None),
            "primary": PRIMARY, "secondary": SECONDARY,
        }
        return render_to_string(TEMPLATE, context)


def render_pdf(report: AnnualReport) -> bytes:
    from casedesk.letters.rendering import html_to_pdf

    return html_to_pdf(render_html(report), base_url=Path(__file__).parent, template=TEMPLATE)


def render_csv(report: AnnualReport) -> str:
    """One row per cell, as the open data: table, row label, column, value (raw numbers;
    "<5" and "…" for hidden counts), with a header row."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    with translation.override(report.language):
        writer.writerow(["table", "label", "column", "value"])
        for table in report.all_tables():
            for row in table.rows:
                for column, value in zip(table.columns[1:], row[1:], strict=True):
                    writer.writerow([table.key, row[0], column,
                                     "" if value is None else value])
    return out.getvalue()


def file_stem(report: AnnualReport) -> str:
    return f"{report.office.code}-{report.year}-{report.language}"
