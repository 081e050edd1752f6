"""The grounds of 59-FZ art. 11 as staff meet them on the case page: "Leave unanswered"
offers the grounds that leave an appeal unanswered, "Forward" the one that forwards an
anonymous report of an offence (issue 16), in Russian and English."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from casedesk.accounts.roles import Role
from casedesk.cases.models import Case
from casedesk.core.states import CaseState


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.mark.parametrize(("language", "label"), [
    ("ru", "Анонимное обращение с сообщением о противоправном деянии"),
    ("en", "An anonymous appeal reporting an offence"),
])
def test_an_anonymous_offence_report_is_offered_and_made_as_a_forward(client, staff,
                                                                      register, language,
                                                                      label):
    client.force_login(staff[Role.CASEWORKER])
    case = register()
    page = client.get(f"/{language}/staff/cases/{case.number}/").content.decode()
    forward_form = page[page.index('name="forward-ground"'):]
    forward_form = forward_form[:forward_form.index("</select>")]
    unanswered_form = page[page.index('name="leave_unanswered-ground"'):]
    unanswered_form = unanswered_form[:unanswered_form.index("</select>")]
    assert 'value="anonymous_offence_report"' in forward_form and label in forward_form
    assert 'value="anonymous_offence_report"' not in unanswered_form
    assert 'value="state_or_other_secret"' in unanswered_form
    assert 'value="unreadable"' not in forward_form

    with translation.override(language):
        url = reverse("staff:transition", args=[case.number, "forward"])
    response = client.post(url, {"forward-transition": "forward",
                                 "forward-forward_body": "military_investigations",
                                 "forward-forwarded_to": "ВСО по гарнизону",
                                 "forward-ground": "anonymous_offence_report"})
    assert response.status_code == 302
    case = Case.objects.get(pk=case.pk)
    assert case.state == CaseState.FORWARDED
    assert case.unanswered_ground == "anonymous_offence_report"
