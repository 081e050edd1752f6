"""Filters of the statistics pages. They parse the query string; the selectors decide what
the person may see."""

from __future__ import annotations

from django import forms
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from casedesk import rulebook

from .selectors import StatsFilter


def category_choices(blank: str) -> list[tuple[str, str]]:
    """The categories of the rulebook in force, labelled in the current language."""
    language = translation.get_language()
    return [("", blank)] + [(c.code, c.label.get(language))
                            for c in rulebook.current().categories.values()]


EARLIEST_YEAR = 1900  # no appeal handled by casedesk was received before


class MonthField(forms.DateField):
    """A month as ``YYYY-MM`` (``<input type="month">``), cleaned to its first day. A
    month before 1900 or after next year has no figures (and neither 9999-12 nor 0001-01
    has a neighbour to count to): an error in the person's language, not a period to
    compute."""

    widget = forms.DateInput(attrs={"type": "month", "placeholder": "YYYY-MM"}, format="%Y-%m")
    input_formats = ["%Y-%m", "%Y-%m-%d"]

    def to_python(self, value):
        day = super().to_python(value)
        return day.replace(day=1) if day else None

    def validate(self, value):
        super().validate(value)
        latest = timezone.localdate().year + 1
        if value and not EARLIEST_YEAR <= value.year <= latest:
            raise forms.ValidationError(
                gettext("There are no figures for %(year)s: choose a month from %(earliest)s "
                        "to %(latest)s.") % {"year": value.year, "earliest": EARLIEST_YEAR,
                                             "latest": latest}, code="year")


def month_year(value: str) -> str:
    """The year of a ``YYYY-MM`` month as text, or ``value`` itself if it is not one."""
    try:
        return str(MonthField().to_python(value).year)
    except (forms.ValidationError, AttributeError):
        return value


class PublicFilterForm(forms.Form):
    """The period of the public statistics: a calendar year, one of ``years`` (those with
    figures, up to this one). The public figures are published for calendar years only,
    for all categories: overlapping periods, or all categories beside one, could be
    subtracted from each other to reveal small counts (docs/open-data.md). A link of the
    former form, ``start``/``end``, is read as the calendar year of its last month."""

    year = forms.TypedChoiceField(label=_("Year"), required=False, coerce=int,
                                  empty_value=None)

    def __init__(self, data=None, *, years: list[int]):
        if data is not None and not data.get("year") and (data.get("end") or data.get("start")):
            data = data.copy()
            data["year"] = month_year(data.get("end") or data.get("start"))
        super().__init__(data)
        self.years = years
        field = self.fields["year"]
        field.choices = [(str(y), str(y)) for y in reversed(years)]
        field.error_messages["invalid_choice"] = gettext(
            "There are no published figures for %(value)s: choose a year from %(first)s to "
            "%(last)s.").replace("%(first)s", str(years[0])).replace("%(last)s", str(years[-1]))

    def clean(self):
        data = super().clean()
        if self.data.get("category"):
            raise forms.ValidationError(
                _("The public figures are not published by category and period or region "
                  "together: the table by category gives each category's figures."),
                code="category")
        return data

    def chosen_year(self) -> int:
        """The year asked for; the latest if none was, or if the form is not valid."""
        if self.is_bound and self.is_valid() and self.cleaned_data.get("year"):
            return self.cleaned_data["year"]
        return self.years[-1]


class PeriodFilterForm(forms.Form):
    """The period and category of the staff dashboard (``clamp``ed by the selector)."""

    start = MonthField(label=_("From month"), required=False)
    end = MonthField(label=_("To month"), required=False)
    category = forms.ChoiceField(label=_("Category"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = category_choices(blank=_("all categories"))

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            raise forms.ValidationError(_("The first month comes after the last."),
                                        code="period")
        return data

    def spec(self) -> StatsFilter:
        """The filter the form describes; the defaults when it is not valid."""
        if not self.is_valid():
            return StatsFilter()
        data = self.cleaned_data
        return StatsFilter(start=data.get("start"), end=data.get("end"),
                           office_ids=self._office_ids(data),
                           category=data.get("category") or "")

    def _office_ids(self, data) -> tuple[int, ...] | None:
        return None


class StaffFilterForm(PeriodFilterForm):
    """The dashboard's filters: also the office, among those the person may see. An office
    that is not among them is a form error, never a filter."""

    office = forms.TypedChoiceField(label=_("Office"), required=False, coerce=int,
                                    empty_value=None)

    field_order = ["start", "end", "office", "category"]

    def __init__(self, *args, offices, **kwargs):
        super().__init__(*args, **kwargs)
        language = translation.get_language()
        self.fields["office"].choices = [("", _("all my offices"))] + [
            (office.pk, f"{office.name_en if language == 'en' else office.name_ru} "
                        f"({office.code})")
            for office in offices]

    def _office_ids(self, data) -> tuple[int, ...] | None:
        office = data.get("office")
        return (office,) if office else None
