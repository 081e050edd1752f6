"""Changes to offices' registers (services write, selectors read: STYLE.md)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from .models import Office, RegisterCounter, RegisterDirection


def format_register_number(office_code: str, year: int, sequence: int) -> str:
    """An entry of an office's register: ``MSK/2026/00012``. Printed after "вх. №" or
    "исх. №" ("In. No.", "Out. No."), which say which register it is."""
    return f"{office_code}/{year}/{sequence:05d}"


def register_number_next(*, office: Office, direction: str, on: dt.date) -> str:
    """The next number of the office's incoming or outgoing register for the year of
    ``on``. Runs in the caller's transaction; the counter row stays locked until it
    commits, so no number is given twice and none is lost to a rollback."""
    if direction not in RegisterDirection.values:
        raise ValueError(f"unknown register direction {direction!r}")
    with transaction.atomic(savepoint=False):
        counters = RegisterCounter.objects.select_for_update()
        counter = counters.filter(office=office, direction=direction, year=on.year).first()
        if counter is None:
            RegisterCounter.objects.get_or_create(office=office, direction=direction,
                                                  year=on.year)
            counter = counters.get(office=office, direction=direction, year=on.year)
        counter.last += 1
        counter.save(update_fields=["last"])
    return format_register_number(office.code, on.year, counter.last)
