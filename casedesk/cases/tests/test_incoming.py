"""The incoming register (вх. №): numbers per office and year, given at registration."""

from __future__ import annotations

import pytest

from casedesk.accounts.roles import Role
from casedesk.cases import search
from casedesk.cases.incoming import incoming_number_of_case
from casedesk.cases.models import Case, IncomingEntry
from casedesk.cases.services import case_transition
from casedesk.testing import at


def numbers(case: Case) -> list[str]:
    return list(IncomingEntry.objects.filter(appeal__case=case)
                .order_by("appeal__received_at").values_list("number", flat=True))


def test_desk_appeals_are_numbered_consecutively_per_office(register, staff, other_office,
                                                            make_user):
    spb_clerk = make_user(Role.INTAKE_CLERK, other_office)
    made = []
    for day in ("2026-03-02", "2026-03-03", "2026-03-04"):
        made.append(register(at=at(day)))
        made.append(register(at=at(day), office=other_office, actor=spb_clerk))
    assert [numbers(c) for c in made] == [
        ["MSK/2026/00001"], ["SPB/2026/00001"], ["MSK/2026/00002"], ["SPB/2026/00002"],
        ["MSK/2026/00003"], ["SPB/2026/00003"]]
    # The year of the register is the year the appeal was received.
    assert numbers(register(at=at("2027-01-10"))) == ["MSK/2027/00001"]
    assert IncomingEntry.objects.get(number="MSK/2026/00002").registered_at == at("2026-03-03")


def test_a_web_appeal_gets_its_number_when_the_clerk_registers_it(register, staff):
    letter = register(at=at("2026-03-02"))
    web = register(channel="web", at=at("2026-03-03"))
    assert numbers(web) == []  # waiting in "received": not in the register yet
    assert incoming_number_of_case(web) == ""
    case_transition(actor=staff[Role.INTAKE_CLERK], case=web, transition="register",
                    at=at("2026-03-04"))
    assert numbers(letter) == ["MSK/2026/00001"]
    assert numbers(web) == ["MSK/2026/00002"]
    assert incoming_number_of_case(web) == "MSK/2026/00002"


def test_a_letter_added_to_a_case_gets_a_number_of_its_own(register, staff):
    case = register(at=at("2026-03-02"))
    assert register(channel="email", text="Ещё одно письмо по делу.", attach_to=case,
                    at=at("2026-03-05")) == case
    assert numbers(case) == ["MSK/2026/00001", "MSK/2026/00002"]
    # The case's number is the first appeal's.
    assert incoming_number_of_case(case) == "MSK/2026/00001"


def test_an_entry_is_never_changed(register):
    entry = IncomingEntry.objects.get(appeal__case=register())
    entry.number = "MSK/2026/99999"
    with pytest.raises(ValueError, match="never changed"):
        entry.save()


def test_the_queue_search_finds_a_case_by_its_incoming_number(register, staff,
                                                             other_office, make_user):
    first = register(at=at("2026-03-02"))
    second = register(at=at("2026-03-03"))
    spb = register(at=at("2026-03-03"), office=other_office,
                   actor=make_user(Role.INTAKE_CLERK, other_office))
    found = search.case_search(Case.objects.filter(office=first.office), "msk/2026/2")
    assert list(found) == [second]
    assert list(search.case_search(Case.objects.all(), "MSK/2026/00001")) == [first]
    assert list(search.case_search(Case.objects.all(), "SPB/2026/00001")) == [spb]
    assert list(search.case_search(Case.objects.filter(office=first.office),
                                   "SPB/2026/00001")) == []
