"""Erasure blanks the words of the category suggestions (issue 19): they are words of
the appeal, sealed with the service member's key; the case and its suggested codes
stay."""

from __future__ import annotations

from django.db import connection

from casedesk.accounts.roles import Role
from casedesk.cases.models import Case
from casedesk.people.lifecycle.erasure import person_erase
from casedesk.triage.models import Suggestion
from casedesk.triage.tests.test_suggestions import tasks_at_once, web  # noqa: F401 - fixtures


def test_erasure_makes_their_words_unreadable(web, staff):  # noqa: F811
    case = web()
    assert Suggestion.objects.filter(case=case).exists()
    person_erase(actor=staff[Role.SUPERVISOR], person=case.service_member,
                 reason_code="request")
    for row in Suggestion.objects.filter(case=case):
        assert row.reasons == {}
    with connection.cursor() as cursor:
        cursor.execute("SELECT reasons FROM triage_suggestion WHERE case_id = %s", [case.pk])
        assert {r[0] for r in cursor.fetchall()} == {""}
    assert Case.objects.filter(pk=case.pk).exists()
