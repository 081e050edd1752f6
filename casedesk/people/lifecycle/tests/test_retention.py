"""Retention: the people whose cases are all closed and past the retention period are
erased (test_erasure.py: what erasure does), and sealed codes are blanked once they
served."""

from __future__ import annotations

import datetime as dt
import io
import os

import pytest
from django.core.management import CommandError, call_command

from casedesk.accounts.roles import Role
from casedesk.audit.models import AuditEntry
from casedesk.cases.models import Case
from casedesk.cases.services import case_open, case_transition
from casedesk.core.models import DataKey
from casedesk.intake.services import PersonData
from casedesk.people.lifecycle.tests.test_erasure import EMAIL, MOTHER, TEXT
from casedesk.people.models import Person
from casedesk.testing import at


def _closed_case(register, staff, *, received: str, closed: str | None, name: str,
                 hour: int = 12) -> Case:
    """A case about ``name`` (and his mother) received on ``received`` and answered and
    closed on ``closed`` at ``hour`` local time (left open if None)."""
    case = register(at=at(received),
                    applicant=PersonData(full_name=f"Мать {name}"),
                    service_member=PersonData(full_name=name, service_type="contract"))
    if closed is not None:
        worker = staff[Role.CASEWORKER]
        for transition, extra in (("start_review", {}),
                                  ("answer", {"outcome": "upheld", "answer": 1}),
                                  ("close", {})):
            case = case_transition(actor=worker, case=case, transition=transition,
                                   at=at(closed, hour), **extra)
    return case


def _people(case: Case) -> list[Person]:
    ids = [case.service_member_id, *case.applicant_links.values_list("person_id", flat=True)]
    return list(Person.objects.filter(pk__in=ids).order_by("pk"))


def _erased(case: Case) -> list[bool]:
    return [p.erased_at is not None for p in _people(case)]


def test_retention_erases_only_people_whose_cases_are_all_past_it(register, staff, office):
    old = _closed_case(register, staff, received="2020-02-01", closed="2021-03-01",
                       name="Старов Олег")
    recent = _closed_case(register, staff, received="2026-02-01", closed="2026-03-01",
                          name="Новиков Иван")
    still_open = _closed_case(register, staff, received="2020-02-01", closed=None,
                              name="Открытов Павел")
    # The service member of the old case is also in a newer open case: he is kept.
    shared = _closed_case(register, staff, received="2020-02-01", closed="2021-03-01",
                          name="Общий Пётр")
    case_open(actor=staff[Role.INTAKE_CLERK], office=office,
              service_member=shared.service_member, category="other",
              received_at=at("2027-05-01"), channel="letter")
    keys_before = DataKey.objects.count()
    audit_before = AuditEntry.objects.count()

    out = io.StringIO()
    call_command("retention_apply", dry_run=True, today="2027-06-01", operator="administrator",
                 stdout=out)
    assert "3 person(s) would be erased" in out.getvalue()
    assert not any(p.erased_at for p in Person.objects.all())
    assert DataKey.objects.count() == keys_before
    assert AuditEntry.objects.count() == audit_before

    out = io.StringIO()
    call_command("retention_apply", today="2027-06-01", operator="administrator", stdout=out)
    assert "3 person(s) erased" in out.getvalue()
    assert _erased(old) == [True, True]
    assert [p.full_name for p in _people(old)] == ["", ""]
    assert _erased(recent) == [False, False] and _erased(still_open) == [False, False]
    member = Person.objects.get(pk=shared.service_member_id)
    mother = Person.objects.get(pk=shared.appeals.get().submitter_id)
    assert member.erased_at is None and member.full_name == "Общий Пётр"
    assert mother.erased_at is not None
    assert DataKey.objects.count() == keys_before - 3
    assert Case.objects.get(pk=old.pk).state == "closed"  # the case itself stays
    grounds = AuditEntry.objects.filter(action="person.erased").values_list("data", flat=True)
    operator = {"operator": staff[Role.ADMINISTRATOR].pk, "os_uid": os.getuid()}
    assert list(grounds) == [{"ground": "retention", **operator}] * 3
    assert AuditEntry.objects.get(action="retention.applied").data == {"count": 3, **operator}

    out = io.StringIO()
    call_command("retention_apply", today="2027-06-01", operator="administrator", stdout=out)
    assert "0 person(s) erased" in out.getvalue()
    assert DataKey.objects.count() == keys_before - 3


def test_retention_counts_from_the_january_after_closing(register, staff):
    case = _closed_case(register, staff, received="2021-12-01", closed="2021-12-31",
                        name="Декабрёв Олег", hour=23)
    # Closed in the office's new year, though still in the old one in UTC.
    new_year = _closed_case(register, staff, received="2021-12-01", closed="2022-01-01",
                            name="Январёв Иван", hour=1)
    call_command("retention_apply", today="2026-12-31", operator="administrator",
                 stdout=io.StringIO())
    assert _erased(case) == [False, False]
    call_command("retention_apply", today="2027-01-01", operator="administrator",
                 stdout=io.StringIO())
    assert _erased(case) == [True, True]
    assert _erased(new_year) == [False, False]
    call_command("retention_apply", today="2028-01-01", operator="administrator",
                 stdout=io.StringIO())
    assert _erased(new_year) == [True, True]


def test_cases_under_an_unknown_rulebook_version_are_kept(register, staff):
    case = _closed_case(register, staff, received="2020-02-01", closed="2021-03-01",
                        name="Старов Олег")
    Case.objects.filter(pk=case.pk).update(rulebook_version="2019.1")
    err = io.StringIO()
    call_command("retention_apply", today="2030-01-01", operator="administrator",
                 stdout=io.StringIO(), stderr=err)
    assert _erased(case) == [False, False]
    assert "2019.1" in err.getvalue()


def test_retention_refuses_a_bad_date():
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("retention_apply", today="01.06.2027", operator="administrator")


def test_sealed_codes_are_blanked_once_they_served(register, office):
    """A submission's sealed code is kept a day for a repeated request, then blanked by
    the daily retention run."""
    from django.utils import timezone

    from casedesk.intake import public
    from casedesk.intake.models import PublicSubmission
    from casedesk.people.lifecycle.retention import SEALED_CODE_KEPT, sealed_codes_expire

    receipt = public.appeal_submit(
        channel="web", idempotency_key="sealed-code-0001", payload={"n": 1},
        applicant=PersonData(full_name=MOTHER, email=EMAIL), relation="self",
        service_member=None, text=TEXT, consent=True, office=office)
    assert PublicSubmission.objects.get().sealed_access_code
    assert sealed_codes_expire() == 0
    assert sealed_codes_expire(now=timezone.now() + SEALED_CODE_KEPT
                               + dt.timedelta(minutes=1)) == 1
    assert PublicSubmission.objects.get().sealed_access_code == ""
    # A repeat of the request now gets its number, without the code.
    again = public.appeal_submit(
        channel="web", idempotency_key="sealed-code-0001", payload={"n": 1},
        applicant=PersonData(full_name=MOTHER, email=EMAIL), relation="self",
        service_member=None, text=TEXT, consent=True, office=office)
    assert again.case_number == receipt.case_number and again.access_code == ""
