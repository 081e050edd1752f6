"""Counts in the staff pages grouped as the page's language writes numbers: a national
office's queues hold tens of thousands of cases ("12 345 дел", "12,345 cases")."""

from __future__ import annotations

import pytest
from django.core.paginator import Paginator
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.utils import timezone, translation

from casedesk import rulebook
from casedesk.cases.models import Case

NBSP = "\xa0"


@pytest.mark.parametrize(("language", "count", "pages"), [
    ("ru", f"12{NBSP}345 дел", f"страница 2{NBSP}000 из 2{NBSP}058"),
    ("en", "12,345 cases", "page 2,000 of 2,058"),
])
def test_the_queue_count_and_pages_are_grouped(db, language, count, pages):
    page = Paginator(range(12_345), 6).page(2_000)
    case = Case(number="MSK-2026-000001", category="other", state="registered",
                received_at=timezone.now())
    with translation.override(language):
        html = render_to_string("staff/_queue_table.html", {
            "page": page, "rows": [(case, None)], "book": rulebook.current(),
            "querystring": "", "request": RequestFactory().get("/")})
    assert count in html
    assert pages in html
