"""The repeated-appeal flag on the staff pages: the clerk's "to register" queue and the
case page link the earlier case of the same office, offer the rulebook's ground the head
decides (59-FZ art. 11 part 5), and never name a case of another office."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from casedesk.accounts.roles import Role
from casedesk.cases.models import Case
from casedesk.intake.public import appeal_submit
from casedesk.intake.services import repeats_flag
from casedesk.intake.tests.test_repeated import MOTHER, SON, TEXT, answered, desk


def public_repeat(office):
    receipt = appeal_submit(
        channel="web", idempotency_key="repeat-view-0001", payload={"n": 1},
        applicant=MOTHER, relation="mother", service_member=SON, text=TEXT,
        category="record_error_awol", language="ru", consent=True, office=office)
    return Case.objects.get(number=receipt.case_number)


@pytest.fixture
def flagged(staff, office):
    earlier = answered(staff, desk(staff, office))
    new = public_repeat(office)
    assert repeats_flag(case_ids=[new.pk]) == [new.pk]
    return earlier, new


@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_to_register_queue_and_the_case_page_show_the_flag(client, staff, flagged,
                                                                 language):
    earlier, new = flagged
    client.force_login(staff[Role.INTAKE_CLERK])
    with translation.override(language):
        queue = client.get(reverse("staff:queues") + "?queue=to_register")
        page = client.get(reverse("staff:case", args=[new.number]))
        link = reverse("staff:case", args=[earlier.number])
    mark = "Repeated appeal" if language == "en" else "Повторное обращение"
    for response in (queue, page):
        assert response.status_code == 200
        html = response.content.decode()
        assert mark in html
        assert link in html
    ground = "59-ФЗ" if language == "ru" else "59-FZ"
    assert ground in page.content.decode()
    sentence = ("The same applicant wrote before" if language == "en"
                else "Тот же заявитель уже обращался")
    assert sentence in page.content.decode()


def test_leaving_it_unanswered_offers_the_heads_ground(client, staff, flagged):
    from casedesk.cases.services import case_transition

    _earlier, new = flagged
    supervisor = staff[Role.SUPERVISOR]
    case_transition(actor=supervisor, case=new, transition="register")
    client.force_login(supervisor)
    html = client.get(reverse("staff:case", args=[new.number])).content.decode()
    assert 'value="repeated_no_new_arguments" selected' in html


def test_a_case_of_another_office_is_never_named(client, staff, office, other_office,
                                                  make_user, flagged):
    earlier, new = flagged
    other = {role: make_user(role, other_office) for role in Role.values}
    foreign = desk(other, other_office)
    Case.objects.filter(pk=new.pk).update(repeated_of=foreign)  # e.g. moved since
    client.force_login(staff[Role.INTAKE_CLERK])
    for url in (reverse("staff:queues") + "?queue=to_register",
                reverse("staff:case", args=[new.number])):
        html = client.get(url).content.decode()
        assert foreign.number not in html and "Repeated appeal" not in html
    # A user of the other office does not see the new case at all.
    client.force_login(other[Role.INTAKE_CLERK])
    assert client.get(reverse("staff:case", args=[new.number])).status_code == 404
    assert new.number not in client.get(
        reverse("staff:queues") + "?queue=to_register").content.decode()
