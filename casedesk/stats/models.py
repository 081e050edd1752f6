"""Precomputed figures: what the statistics pages, open data and annual reports read.

Every table here is rebuilt as a whole by ``refresh.stats_refresh`` from the case tables
(GROUP BY queries) in one transaction, so readers see either the previous set or the new
one. They hold counts keyed by codes only (months, office ids, category, region and state
codes): nothing personal, and nothing that could be traced back to one case.

The meaning of every figure (received, answered, on time, time to answer, backlog age) is
defined in ``refresh`` and in docs/statistics.md.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Measures(models.Model):
    """The counts kept for each cell of the monthly cubes (see ``refresh`` for what each
    one means)."""

    received = models.PositiveIntegerField(default=0)
    appeals = models.PositiveIntegerField(default=0)
    registered = models.PositiveIntegerField(default=0)
    answered = models.PositiveIntegerField(default=0)
    answered_on_time = models.PositiveIntegerField(default=0)
    answered_late = models.PositiveIntegerField(default=0)
    extended = models.PositiveIntegerField(default=0)
    closed = models.PositiveIntegerField(default=0)
    forwarded = models.PositiveIntegerField(default=0)
    left_unanswered = models.PositiveIntegerField(default=0)
    withdrawn = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True


class MonthlyFigures(Measures):
    """The cube: one row per month, office, category, region and service type of the
    service member, with the count of each thing that happened in that month. Read for
    the breakdowns by region and by service type."""

    month = models.DateField(_("month"))  # the first day of the month
    office = models.ForeignKey("accounts.Office", on_delete=models.CASCADE, related_name="+",
                               db_index=False)  # the index below leads with it
    category = models.CharField(_("category"), max_length=50)
    region = models.CharField(_("region"), max_length=8, blank=True)  # Region.code, "" unknown
    service_type = models.CharField(_("service type"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("monthly figures")
        verbose_name_plural = _("monthly figures")
        constraints = [
            models.UniqueConstraint(
                fields=["month", "office", "category", "region", "service_type"],
                name="stats_monthly_key",
            )
        ]
        # Read only with a category chosen (the breakdowns by region and service type):
        # written in this order, and scanned without visiting the table.
        indexes = [models.Index(
            fields=["office", "category", "month"], name="stats_monthly_category",
            include=["region", "service_type", "received", "answered", "answered_on_time",
                     "answered_late"])]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.office_id} {self.category}"


class MonthlyRollup(Measures):
    """The cube summed over regions and service types: one row per month, office and
    category (a few thousand rows at a million cases), read for every other figure."""

    month = models.DateField(_("month"))
    office = models.ForeignKey("accounts.Office", on_delete=models.CASCADE, related_name="+")
    category = models.CharField(_("category"), max_length=50)

    class Meta:
        verbose_name = _("monthly totals")
        verbose_name_plural = _("monthly totals")
        constraints = [
            models.UniqueConstraint(fields=["month", "office", "category"],
                                    name="stats_rollup_key")
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.office_id} {self.category}"


class BreakdownMeasures(models.Model):
    received = models.PositiveIntegerField(default=0)
    answered = models.PositiveIntegerField(default=0)
    answered_on_time = models.PositiveIntegerField(default=0)
    answered_late = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True


class RegionFigures(BreakdownMeasures):
    """The cube summed over categories and service types, by region: read for the
    breakdown by region when no category is chosen (tens of thousands of rows at a
    million cases, where the cube has hundreds of thousands)."""

    month = models.DateField(_("month"))
    office = models.ForeignKey("accounts.Office", on_delete=models.CASCADE, related_name="+",
                               db_index=False)  # the index below leads with it
    region = models.CharField(_("region"), max_length=8, blank=True)

    class Meta:
        verbose_name = _("figures by region")
        verbose_name_plural = _("figures by region")
        constraints = [
            models.UniqueConstraint(fields=["month", "office", "region"],
                                    name="stats_region_key")
        ]
        indexes = [models.Index(
            fields=["office", "month"], name="stats_region_office",
            include=["region", "received", "answered", "answered_on_time", "answered_late"])]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.office_id} {self.region}"


class ServiceTypeFigures(BreakdownMeasures):
    """The cube summed over categories and regions, by service type."""

    month = models.DateField(_("month"))
    office = models.ForeignKey("accounts.Office", on_delete=models.CASCADE, related_name="+")
    service_type = models.CharField(_("service type"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("figures by service type")
        verbose_name_plural = _("figures by service type")
        constraints = [
            models.UniqueConstraint(fields=["month", "office", "service_type"],
                                    name="stats_service_type_key")
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.office_id} {self.service_type}"


class AnswerTime(models.Model):
    """The histogram of days to answer: how many answers of a month, office, category and
    region took ``days`` days (``days`` = HISTOGRAM_CAP means that many or more). Merging
    the rows of any filter gives its median and 90th percentile."""

    month = models.DateField(_("month"))
    office = models.ForeignKey("accounts.Office", on_delete=models.CASCADE, related_name="+",
                               db_index=False)  # the index below leads with it
    category = models.CharField(_("category"), max_length=50)
    region = models.CharField(_("region"), max_length=8, blank=True)
    days = models.PositiveSmallIntegerField(_("days to answer"))
    answers = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("time to answer")
        verbose_name_plural = _("times to answer")
        constraints = [
            models.UniqueConstraint(fields=["month", "office", "category", "region", "days"],
                                    name="stats_answer_time_key")
        ]
        indexes = [models.Index(fields=["office", "month"], name="stats_answer_time_office")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.office_id} {self.category}: {self.days}"


class AnswerTimeRollup(models.Model):
    """The histogram of days to answer summed over regions."""

    month = models.DateField(_("month"))
    office = models.ForeignKey("accounts.Office", on_delete=models.CASCADE, related_name="+",
                               db_index=False)  # the index below leads with it
    category = models.CharField(_("category"), max_length=50)
    days = models.PositiveSmallIntegerField(_("days to answer"))
    answers = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("time to answer (totals)")
        verbose_name_plural = _("times to answer (totals)")
        constraints = [
            models.UniqueConstraint(fields=["month", "office", "category", "days"],
                                    name="stats_answer_rollup_key")
        ]
        indexes = [models.Index(fields=["office", "month"], name="stats_answer_rollup_office",
                                include=["category", "days", "answers"])]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.office_id} {self.category}: {self.days}"


class AnswerTimeYear(models.Model):
    """The histogram of days to answer summed over the months of each year (a tenth of
    the rows of ``AnswerTimeRollup`` at a million cases): the whole years of a period are
    read from here, its other months from ``AnswerTimeRollup``."""

    year = models.PositiveSmallIntegerField(_("year"))
    office = models.ForeignKey("accounts.Office", on_delete=models.CASCADE, related_name="+",
                               db_index=False)  # the index below leads with it
    category = models.CharField(_("category"), max_length=50)
    days = models.PositiveSmallIntegerField(_("days to answer"))
    answers = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("time to answer (years)")
        verbose_name_plural = _("times to answer (years)")
        constraints = [
            models.UniqueConstraint(fields=["year", "office", "category", "days"],
                                    name="stats_answer_year_key")
        ]
        indexes = [models.Index(fields=["office", "year"], name="stats_answer_year_office",
                                include=["category", "days", "answers"])]

    def __str__(self) -> str:
        return f"{self.year} {self.office_id} {self.category}: {self.days}"


class DailyReceived(models.Model):
    """Cases received per day, office and category (for the weekly figures)."""

    day = models.DateField(_("day"))
    office = models.ForeignKey("accounts.Office", on_delete=models.CASCADE, related_name="+",
                               db_index=False)  # the index below leads with it
    category = models.CharField(_("category"), max_length=50)
    received = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("cases received per day")
        verbose_name_plural = _("cases received per day")
        constraints = [
            models.UniqueConstraint(fields=["day", "office", "category"],
                                    name="stats_daily_key")
        ]
        indexes = [models.Index(fields=["office", "day"], name="stats_daily_office_day",
                                include=["category", "received"])]

    def __str__(self) -> str:
        return f"{self.day} {self.office_id} {self.category}"


class OpenCases(models.Model):
    """The open cases at the time of the refresh, by office, state, category, age bucket
    and whether a running deadline has passed."""

    office = models.ForeignKey("accounts.Office", on_delete=models.CASCADE, related_name="+")
    state = models.CharField(_("state"), max_length=30)
    category = models.CharField(_("category"), max_length=50)
    age_bucket = models.PositiveSmallIntegerField(_("age bucket"))  # index into AGE_BUCKETS
    overdue = models.BooleanField(_("overdue"))
    cases = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("open cases")
        verbose_name_plural = _("open cases")
        constraints = [
            models.UniqueConstraint(
                fields=["office", "state", "category", "age_bucket", "overdue"],
                name="stats_open_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.office_id} {self.state} {self.category}"


class DecisionFigures(models.Model):
    """Signed commission decisions in force, by month signed, office, category and outcome."""

    month = models.DateField(_("month"))
    office = models.ForeignKey("accounts.Office", on_delete=models.CASCADE, related_name="+")
    category = models.CharField(_("category"), max_length=50)
    outcome = models.CharField(_("outcome"), max_length=30)
    decisions = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("commission decisions")
        verbose_name_plural = _("commission decisions")
        constraints = [
            models.UniqueConstraint(fields=["month", "office", "category", "outcome"],
                                    name="stats_decision_key")
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.office_id} {self.outcome}"


class OutcomeFigures(models.Model):
    """Answers on the merits by month, office, category and the outcome of the answer."""

    month = models.DateField(_("month"))
    office = models.ForeignKey("accounts.Office", on_delete=models.CASCADE, related_name="+")
    category = models.CharField(_("category"), max_length=50)
    outcome = models.CharField(_("outcome"), max_length=50)
    answers = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("outcomes of answers")
        verbose_name_plural = _("outcomes of answers")
        constraints = [
            models.UniqueConstraint(fields=["month", "office", "category", "outcome"],
                                    name="stats_outcome_key")
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.office_id} {self.outcome}"


class Refresh(models.Model):
    """One completed rebuild of the figures: when and how long it took."""

    started_at = models.DateTimeField(_("started"))
    finished_at = models.DateTimeField(_("finished"), db_index=True)
    today = models.DateField(_("figures as of"))
    seconds = models.FloatField(_("duration (seconds)"))
    trigger = models.CharField(_("started by"), max_length=20)
    rows = models.JSONField(default=dict)  # rows written per table

    class Meta:
        ordering = ["-finished_at"]
        verbose_name = _("statistics refresh")
        verbose_name_plural = _("statistics refreshes")

    def __str__(self) -> str:
        return f"refresh {self.finished_at:%Y-%m-%d %H:%M}"


class RefreshState(models.Model):
    """A single row (pk 1): the lock that serialises refreshes, and whether a refresh is
    already queued (``pending_since``) so that at most one waits at a time."""

    pending_since = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("statistics refresh state")
        verbose_name_plural = _("statistics refresh state")

    def __str__(self) -> str:
        return f"pending since {self.pending_since}" if self.pending_since else "idle"


class Staging(models.Model):
    """Scratch rows of one refresh: the counts of each source by the cube's keys, summed
    into the cube and the histogram. Empty outside a refresh's transaction."""

    month = models.DateField()
    office = models.ForeignKey("accounts.Office", on_delete=models.CASCADE, related_name="+",
                               db_constraint=False)
    category = models.CharField(max_length=50)
    region = models.CharField(max_length=8, blank=True)
    service_type = models.CharField(max_length=20, blank=True)
    measure = models.CharField(max_length=20)
    met = models.BooleanField(null=True)
    days = models.IntegerField(null=True)
    n = models.PositiveIntegerField()

    class Meta:
        verbose_name = _("statistics scratch row")
        verbose_name_plural = _("statistics scratch rows")

    def __str__(self) -> str:
        return f"{self.measure} {self.month}"
