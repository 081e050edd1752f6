"""Correcting a case's category, sub-category and procedure (issue 14, part 3)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from casedesk.accounts.roles import Role
from casedesk.audit.models import AuditEntry
from casedesk.cases.models import Case, CaseEvent, Deadline
from casedesk.cases.services import case_reclassify, case_transition
from casedesk.core.errors import ApplicationError
from casedesk.testing import at

D = dt.date.fromisoformat


def test_a_web_appeal_filed_under_other_is_moved_to_its_category(register, staff):
    case = register(channel="web", category="other")
    case = case_reclassify(actor=staff[Role.CASEWORKER], case=case,
                           category="demobilization_term", subcategory="mobilized_term",
                           reason="The text asks for discharge after the term.")
    case.refresh_from_db()
    assert (case.category, case.subcategory) == ("demobilization_term", "mobilized_term")
    event = case.events.get(kind="reclassified")
    assert event.data["before"] == {"category": "other", "subcategory": "",
                                    "procedure": "appeal_59fz"}
    assert event.data["after"]["category"] == "demobilization_term"
    assert event.texts == {"reason": "The text asks for discharge after the term."}
    assert not event.public
    entry = AuditEntry.objects.filter(action="case.reclassify", object_id=case.pk).get()
    assert entry.data == {"category": "demobilization_term", "subcategory": "mobilized_term",
                          "procedure": "appeal_59fz", "previous_category": "other",
                          "previous_subcategory": "", "previous_procedure": "appeal_59fz"}


def test_the_reason_is_encrypted_not_plain_in_the_database(register, staff):
    case = register(channel="web", category="other")
    case_reclassify(actor=staff[Role.CASEWORKER], case=case, category="medical_care",
                    reason="Мать пишет, что сына не лечат")
    with connection.cursor() as cursor:
        cursor.execute("SELECT data::text, texts::text FROM cases_caseevent "
                       "WHERE kind = 'reclassified'")
        data, texts = cursor.fetchone()
    assert "лечат" not in data and "лечат" not in (texts or "")


@pytest.mark.parametrize("given, code", [
    ({"category": "no_such_category"}, "unknown_category"),
    ({"category": "medical_care", "subcategory": "mobilized_term"}, "unknown_subcategory"),
    ({"category": "medical_care", "procedure": "no_such_procedure"}, "unknown_procedure"),
    ({"category": "medical_care", "reason": "  "}, "missing_reason"),
    ({"category": "record_error_awol"}, "unchanged"),
])
def test_bad_corrections_are_refused_and_change_nothing(register, staff, given, code):
    case = register()
    with pytest.raises(ApplicationError) as refused:
        case_reclassify(actor=staff[Role.CASEWORKER], case=case,
                        **{"reason": "because", **given})
    assert refused.value.code == code
    case.refresh_from_db()
    assert case.category == "record_error_awol"
    assert not CaseEvent.objects.filter(kind="reclassified").exists()


@pytest.mark.parametrize("role", [Role.COMMISSION_MEMBER, Role.ANALYST])
def test_roles_that_do_not_work_cases_cannot_reclassify(register, staff, role):
    case = register()
    with pytest.raises(ApplicationError) as refused:
        case_reclassify(actor=staff[role], case=case, category="other", reason="x")
    assert refused.value.code == "forbidden"


def test_another_offices_staff_cannot_see_the_case(register, other_office, make_user):
    case = register()
    outsider = make_user(Role.SUPERVISOR, other_office)
    with pytest.raises(ApplicationError) as refused:
        case_reclassify(actor=outsider, case=case, category="other", reason="x")
    assert refused.value.code == "not_found"


def test_a_new_procedure_brings_its_deadlines_counted_from_registration(register, staff):
    case = register(channel="web", at=at("2026-03-06"))
    case = case_transition(actor=staff[Role.INTAKE_CLERK], case=case, transition="register",
                           at=at("2026-03-10"))
    case_reclassify(actor=staff[Role.SUPERVISOR], case=case, category="record_error_awol",
                    procedure="commissioner_1fkz", reason="A complaint to the Commissioner.",
                    at=at("2026-03-12"))
    rows = {d.rule: (d.starts_on, d.due_on, d.closed_on, d.met)
            for d in Deadline.objects.filter(case=case)}
    # 59-FZ's forwarding and answer terms do not apply under 1-FKZ: closed, neither met
    # nor missed; 1-FKZ's notice of acceptance counts from the registration day.
    assert rows["forwarding"][2:] == (D("2026-03-12"), None)
    assert rows["answer"][2:] == (D("2026-03-12"), None)
    assert rows["acceptance_notice"][:3] == (D("2026-03-10"), D("2026-03-20"), None)
    case = Case.objects.get(pk=case.pk)
    assert case.procedure == "commissioner_1fkz"
    assert case.next_due_on == D("2026-03-20")
