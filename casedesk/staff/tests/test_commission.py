"""The commission's pages: refer from the case page, schedule, vote, sign, correct."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from casedesk.accounts.roles import Role
from casedesk.cases.models import Case
from casedesk.cases.services import case_transition
from casedesk.review.models import Commission, CommissionMember, Decision, Referral, Session


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def commission(office, make_user):
    commission = Commission.objects.create(office=office, name_ru="Комиссия офиса",
                                           name_en="Office commission")
    people = [make_user(Role.COMMISSION_MEMBER, office, username=f"m{i}") for i in range(3)]
    for i, person in enumerate(people):
        CommissionMember.objects.create(commission=commission, user=person, is_chair=i == 0)
    commission.people = people
    return commission


def test_refer_schedule_vote_sign_and_correct(client, staff, register, commission):
    case = register()
    case_transition(actor=staff[Role.CASEWORKER], case=case, transition="start_review")
    client.force_login(staff[Role.CASEWORKER])
    page = client.get(reverse("staff:case", args=[case.number])).content.decode()
    assert "Office commission" in page or "Комиссия офиса" in page
    client.post(reverse("staff:refer", args=[case.number]), {
        "commission": commission.pk, "summary": "Записан в СОЧ из госпиталя",
        "question": "Рекомендовать исправление?"})
    assert Case.objects.get(pk=case.pk).state == "referred_to_commission"
    chair, *members = commission.people

    client.force_login(chair)
    assert case.number in client.get(reverse("staff:commission")).content.decode()
    # Today, at the end of the day: votes are taken from the session's day on.
    today = timezone.localdate().isoformat()
    response = client.post(reverse("staff:session_create", args=[commission.pk]), {
        "starts_at": f"{today}T23:59", "place": "Зал 1",
        "referrals": [Referral.objects.get().pk]})
    session = Session.objects.get()
    assert response["Location"] == reverse("staff:session", args=[session.pk])
    item = session.items.get()
    for person in commission.people:
        client.force_login(person)
        client.post(reverse("staff:vote", args=[item.pk]),
                    {"choice": "uphold", "reason": "Подтверждено выпиской"})
    assert item.votes.count() == 3
    client.force_login(chair)
    client.post(reverse("staff:sign", args=[item.pk]),
                {"outcome": "uphold", "reasoning": "Запись подлежит исправлению"})
    decision = Decision.objects.get()
    assert Case.objects.get(pk=case.pk).state == "commission_decided"
    assert Case.objects.get(pk=case.pk).documents.filter(doc_type="letter").count() == 2
    page = client.get(reverse("staff:session", args=[session.pk])).content.decode()
    assert "Запись подлежит исправлению" in page
    client.post(reverse("staff:correct", args=[decision.pk]),
                {"outcome": "partly_uphold", "reasoning": "Уточнение"})
    assert Decision.objects.filter(corrects=decision).exists()


@pytest.mark.parametrize("role", [r for r in Role.values if r != Role.COMMISSION_MEMBER])
def test_only_commission_members_see_its_pages(client, staff, commission, role):
    client.force_login(staff[role])
    assert client.get(reverse("staff:commission")).status_code == 403


def test_a_member_of_another_commission_sees_no_session(client, staff, commission, register,
                                                        other_office, make_user):
    case = register()
    case_transition(actor=staff[Role.CASEWORKER], case=case, transition="start_review")
    from casedesk.review.services import referral_create, session_schedule

    referral_create(actor=staff[Role.CASEWORKER], case=case, commission=commission,
                    summary="s", question="q")
    session = session_schedule(actor=commission.people[0], commission=commission,
                               starts_at=case.received_at)
    outsider = make_user(Role.COMMISSION_MEMBER, other_office)
    client.force_login(outsider)
    assert client.get(reverse("staff:session", args=[session.pk])).status_code == 404
    item = session.items.get()
    assert client.post(reverse("staff:vote", args=[item.pk]),
                       {"choice": "uphold", "reason": "x"}).status_code == 404


@pytest.mark.parametrize(("kind", "prepare"), [
    ("acknowledgement", []),
    ("information_request", [("start_review", {}),
                             ("request_information", {"message": "Пришлите выписку"})]),
    ("forwarding_notice", [("forward", {"forwarded_to": "Военная прокуратура"})]),
])
def test_staff_make_letters_from_the_case_file(client, staff, register, kind, prepare):
    case = register()
    for name, extra in prepare:
        case = case_transition(actor=staff[Role.CASEWORKER], case=case, transition=name,
                               **extra)
    client.force_login(staff[Role.CASEWORKER])
    response = client.post(reverse("staff:letter", args=[case.number]), {"kind": kind})
    assert response.status_code == 302
    names = sorted(case.documents.filter(doc_type="letter").values_list("original_name",
                                                                        flat=True))
    assert len(names) == 2 and names[0].endswith(".docx") and names[1].endswith(".pdf")
    if kind == "acknowledgement":
        case.refresh_from_db()
        assert case.access_code_hash  # a code was issued and printed in the letter


def test_a_letter_without_its_facts_is_refused(client, staff, register):
    case = register()
    client.force_login(staff[Role.CASEWORKER])
    response = client.post(reverse("staff:letter", args=[case.number]).replace("/ru/", "/en/"),
                           {"kind": "extension_notice"})
    assert response.status_code == 400
    assert "not extended" in response.content.decode()
    assert not case.documents.exists()
