"""English pages write dates as "3 Dec 2026", never 12/03/2026; Russian keeps 03.12.2026."""

from __future__ import annotations

import datetime as dt
import re

from django.utils import timezone, translation
from django.utils.formats import date_format

from casedesk.accounts.roles import Role

RECEIVED = timezone.make_aware(dt.datetime(2026, 12, 3, 14, 5))
NUMERIC_US = re.compile(r"\b\d{1,2}/\d{1,2}/\d{2,4}\b")


def test_english_formats_write_the_month_as_a_word():
    with translation.override("en"):
        assert date_format(dt.date(2026, 12, 7)) == "7 Dec 2026"
        assert date_format(dt.date(2026, 12, 7), "SHORT_DATE_FORMAT") == "7 Dec 2026"
        moment = dt.datetime(2026, 12, 7, 14, 5)
        assert date_format(moment, "DATETIME_FORMAT") == "7 Dec 2026, 14:05"
        assert date_format(moment, "SHORT_DATETIME_FORMAT") == "7 Dec 2026, 14:05"
    with translation.override("ru"):
        assert date_format(dt.date(2026, 12, 7), "SHORT_DATE_FORMAT") == "07.12.2026"


def test_english_staff_pages_show_unambiguous_dates(client, staff, register):
    case = register(at=RECEIVED)
    client.force_login(staff[Role.SUPERVISOR])
    queue = client.get("/en/staff/?queue=all").content.decode()
    page = client.get(f"/en/staff/cases/{case.number}/").content.decode()
    for html in (queue, page):
        assert "3 Dec 2026" in html
        assert not NUMERIC_US.search(html), NUMERIC_US.search(html).group()
    assert "3 Dec 2026, 14:05" in page
    russian = client.get(f"/ru/staff/cases/{case.number}/").content.decode()
    assert "03.12.2026" in russian
