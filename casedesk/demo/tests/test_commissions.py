"""Every demo office gets a working commission from whatever commission members the staff
list gives it: one chair, enough members for the rulebook's quorum, or a loud stop."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from casedesk import rulebook
from casedesk.accounts.models import Office
from casedesk.accounts.roles import Role
from casedesk.cases.models import Case
from casedesk.core.states import CaseState
from casedesk.demo import generator
from casedesk.review.models import Commission


def staff_with(monkeypatch, counts: dict[str, int]) -> None:
    """The demo staff list with ``counts[office]`` commission members per office (in place
    of those it has), as another list of logins would give them."""
    others = [row for row in generator.STAFF if row[1] != Role.COMMISSION_MEMBER]
    extra = [(f"{code.lower()}_commission{i or ''}", Role.COMMISSION_MEMBER, code, False)
             for code, count in counts.items() for i in range(count)]
    monkeypatch.setattr(generator, "STAFF", others + extra)
    people = getattr(generator, "STAFF_PEOPLE", None)  # names and positions, where kept
    if people is not None:
        for username, *_rest in extra:
            monkeypatch.setitem(people, username, people.get(username) or (
                "Ирина", "Демова", "член комиссии", "commission member"))


def test_seed_gives_every_office_a_commission_with_a_chair_and_a_quorum(db, monkeypatch,
                                                                        capsys):
    staff_with(monkeypatch, {"MSK": 3, "SPB": 3, "KSM": 4})
    call_command("seed_demo", "--cases", "30")
    assert "Added 30 cases" in capsys.readouterr().out
    needed = rulebook.current().review.quorum_min_votes
    for office in Office.objects.all():
        commission = Commission.objects.get(office=office, is_active=True)
        memberships = list(commission.memberships.select_related("user"))
        assert len(memberships) >= needed, office.code
        assert sum(m.is_chair for m in memberships) == 1, office.code
        for m in memberships:
            assert m.user.role == Role.COMMISSION_MEMBER
            assert m.user.offices.filter(pk=office.pk).exists()
    ksm = Commission.objects.get(office__code="KSM")
    assert ksm.memberships.count() == 4
    # Every case the demo sent to the commission has its referral, in its own office.
    reached = Case.objects.filter(state__in=[CaseState.REFERRED_TO_COMMISSION,
                                             CaseState.COMMISSION_DECIDED])
    for case in reached:
        assert case.referrals.get().commission.office_id == case.office_id


def test_seeding_again_keeps_the_chair_and_adds_new_members(db, monkeypatch):
    staff_with(monkeypatch, {"MSK": 3, "SPB": 3, "KSM": 3})
    generator.ensure_reference()
    chair = Commission.objects.get(office__code="SPB").memberships.get(is_chair=True).user
    staff_with(monkeypatch, {"MSK": 3, "SPB": 4, "KSM": 3})
    generator.ensure_reference()
    spb = Commission.objects.get(office__code="SPB")
    assert spb.memberships.count() == 4
    assert spb.memberships.get(is_chair=True).user == chair
    assert Commission.objects.count() == 3


def test_an_office_with_too_few_members_stops_the_seed_loudly(db, monkeypatch):
    staff_with(monkeypatch, {"MSK": 3, "SPB": 1, "KSM": 0})
    with pytest.raises(RuntimeError, match=r"SPB: 1 of 3, KSM: 0 of 3"):
        generator.ensure_reference()
    assert not Commission.objects.filter(office__code__in=["SPB", "KSM"]).exists()
