"""Filters of the statistics pages. They parse the query string; the selectors decide what
the person may see."""

from __future__ import annotations

from django import forms
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from casedesk import rulebook

from .selectors import StatsFilter


def category_choices(blank: str) -> list[tuple[str, str]]:
    """The categories of the rulebook in force, labelled in the current language."""
    language = translation.get_language()
    return [("", blank)] + [(c.code, c.label.get(language))
                            for c in rulebook.current().categories.values()]


class MonthField(forms.DateField):
    """A month as ``YYYY-MM`` (``<input type="month">``), cleaned to its first day."""

    widget = forms.DateInput(attrs={"type": "month", "placeholder": "YYYY-MM"}, format="%Y-%m")
    input_formats = ["%Y-%m", "%Y-%m-%d"]

    def to_python(self, value):
        day = super().to_python(value)
        return day.replace(day=1) if day else None


class PublicFilterForm(forms.Form):
    """The period and category of the public statistics."""

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


class StaffFilterForm(PublicFilterForm):
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
