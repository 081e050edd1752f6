"""The commission's pages and the session's day: nothing pre-ticked, an empty selection
refused, no vote or sign form before the day, moving a session from its page."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format

from casedesk.accounts.roles import Role
from casedesk.cases.services import case_transition
from casedesk.cases.timeline import public_event_text
from casedesk.review.models import Commission, CommissionMember, Session, SessionMove
from casedesk.review.services import referral_create, session_schedule


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


@pytest.fixture
def referrals(register, staff, commission):
    out = []
    for _ in range(2):
        case = case_transition(actor=staff[Role.CASEWORKER], case=register(),
                               transition="start_review")
        out.append(referral_create(actor=staff[Role.CASEWORKER], case=case,
                                   commission=commission, summary="s", question="q"))
    return out


def en(name, *args, language="en"):
    with translation.override(language):
        return reverse(name, args=args)


def test_no_referral_is_pre_ticked_and_an_empty_selection_is_refused(client, commission,
                                                                      referrals):
    client.force_login(commission.people[0])
    page = client.get(en("staff:commission")).content.decode()
    boxes = re.findall(r'<input type="checkbox" name="referrals"[^>]*>', page)
    assert len(boxes) == 2
    assert not any("checked" in box for box in boxes)
    today = timezone.localdate().isoformat()
    response = client.post(en("staff:session_create", commission.pk),
                           {"starts_at": f"{today}T23:00", "place": "Зал"}, follow=True)
    assert "Tick the cases to put on the agenda: none is ticked." in response.content.decode()
    assert not Session.objects.exists()
    client.post(en("staff:session_create", commission.pk),
                {"starts_at": f"{today}T23:00", "referrals": [referrals[1].pk]})
    assert [i.referral_id for i in Session.objects.get().items.all()] == [referrals[1].pk]


@pytest.mark.parametrize("language", ["ru", "en"])
def test_the_session_page_offers_no_vote_before_the_day(client, commission, referrals,
                                                        language):
    chair = commission.people[0]
    session = session_schedule(actor=chair, commission=commission,
                               starts_at=timezone.now() + dt.timedelta(days=2),
                               referral_ids=[referrals[0].pk])
    client.force_login(chair)
    page = client.get(en("staff:session", session.pk, language=language)).content.decode()
    assert 'class="vote"' not in page and 'class="sign"' not in page
    words = {"ru": "начиная с", "en": "Members vote and the chair signs from"}[language]
    assert words in page
    assert 'class="action session-move"' in page  # the chair may move it


def test_the_session_page_offers_the_vote_on_the_day(client, commission, referrals):
    chair = commission.people[0]
    session = session_schedule(actor=chair, commission=commission, starts_at=timezone.now(),
                               referral_ids=[referrals[0].pk])
    client.force_login(commission.people[1])
    page = client.get(en("staff:session", session.pk)).content.decode()
    assert 'class="vote"' in page and "Members vote and the chair signs from" not in page
    assert 'class="sign"' not in page  # only the chair signs
    assert "session-move" not in page  # only the chair moves it


def test_the_chair_moves_the_session_from_its_page_with_a_reason(client, commission,
                                                                 referrals, staff):
    chair = commission.people[0]
    session = session_schedule(actor=chair, commission=commission,
                               starts_at=timezone.now() + dt.timedelta(days=5),
                               referral_ids=[referrals[0].pk])
    client.force_login(chair)
    today = timezone.localdate().isoformat()
    response = client.post(en("staff:session_move", session.pk),
                           {"starts_at": f"{today}T23:30", "reason": " "}, follow=True)
    assert "Give the reason for moving the session." in response.content.decode()
    assert not SessionMove.objects.exists()
    response = client.post(en("staff:session_move", session.pk),
                           {"starts_at": f"{today}T23:30", "reason": "Зал занят"}, follow=True)
    page = response.content.decode()
    assert "The session is moved; the applicants see the new date." in page
    assert "Зал занят" in page and 'class="vote"' in page
    assert timezone.localtime(Session.objects.get().starts_at).date() == timezone.localdate()
    # The applicant reads the new date, in her language, and never the reason.
    event = referrals[0].case.events.get(kind="commission_rescheduled")
    for language, words in (("en", "The commission's session on your case was moved to"),
                            ("ru", "Заседание комиссии по вашему делу перенесено на")):
        with translation.override(language):
            day = date_format(timezone.localdate(), "DATE_FORMAT")
            assert public_event_text(event) == f"{words} {day}."
    # The caseworker sees on the case's timeline what the applicant reads.
    client.force_login(staff[Role.CASEWORKER])
    page = client.get(en("staff:case", referrals[0].case.number)).content.decode()
    with translation.override("en"):
        moved = public_event_text(event)
    assert f"The applicant reads: {moved}".replace("'", "&#x27;") in page
    client.force_login(chair)
    # A member of the commission who is not its chair cannot move it.
    client.force_login(commission.people[1])
    client.post(en("staff:session_move", session.pk),
                {"starts_at": f"{today}T23:45", "reason": "Иначе"})
    assert SessionMove.objects.count() == 1
