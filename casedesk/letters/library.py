"""Filters available in every letter template without ``{% load %}``.

Templates are rendered with the letter's language active, so the filters format for it.
A filter given something it cannot format raises: a letter with an empty or wrong date
is refused rather than sent.
"""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import get_language

register = template.Library()

# "11 января 2027 г." / "January 11, 2027" (a no-break space keeps "г." with the year).
LONG_DATE = {"ru": "j E Y\u00a0г.", "en": "F j, Y"}


@register.filter(is_safe=False)
def long_date(value) -> str:
    """A date written out in full in the active language."""
    if isinstance(value, dt.datetime):
        value = timezone.localdate(value) if timezone.is_aware(value) else value.date()
    if not isinstance(value, dt.date):
        raise ValueError(f"long_date needs a date, not {value!r}")
    language = (get_language() or "ru")[:2]
    return date_format(value, LONG_DATE.get(language, LONG_DATE["ru"]))
