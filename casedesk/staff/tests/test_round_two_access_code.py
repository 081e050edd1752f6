"""Issue 15, finding 3: issuing a new access code.

Before: every clerk, caseworker and supervisor could replace the code of any case of
the office, nothing was audited, and the applicant was locked out without a word (while
the staff member held a code that opens the portal as the applicant). Now: staff issue
codes for cases that came by letter (the office sends the code in its acknowledgement);
the code of a web or API appeal only a supervisor replaces, with a reason from a fixed
list; each issue is audited without the code; a replaced code is on the applicant's
status page and emailed to them (in the language of their appeal, without the code).
"""

from __future__ import annotations

import json
import re

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from casedesk.accounts.roles import Role
from casedesk.audit.models import AuditEntry
from casedesk.cases import permissions
from casedesk.cases.access import access_code_issue
from casedesk.cases.models import Channel
from casedesk.core.errors import ApplicationError
from casedesk.core.secrets import access_code_matches
from casedesk.intake.public import appeal_submit
from casedesk.intake.services import PersonData

CODE = re.compile(r"(?:access code for the applicant|код доступа для заявителя): "
                  r"([A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4})", re.IGNORECASE)


@pytest.fixture(autouse=True)
def immediate_notices(settings, mailoutbox):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def web_case(office):
    """An appeal from the website, in English, with the applicant's email."""
    receipt = appeal_submit(
        channel="web", idempotency_key="round-two-code-web-1", payload={"n": 1},
        office=office, language="en",
        applicant=PersonData(full_name="Anna Petrova", email="anna@example.org"),
        relation="mother", service_member=PersonData(full_name="Ivan Petrov"),
        text="My son is in hospital but recorded as AWOL.", consent=True)
    from casedesk.cases.models import Case

    return Case.objects.get(number=receipt.case_number), receipt.access_code


def issue(client, user, case, reason=None, language="en"):
    client.force_login(user)
    data = {} if reason is None else {"reason": reason}
    return client.post(f"/{language}/staff/cases/{case.number}/access-code/", data,
                       follow=True)


def code_in(response) -> str | None:
    found = CODE.search(response.content.decode())
    return found.group(1) if found else None


def test_a_web_case_code_is_replaced_only_by_a_supervisor_with_a_reason(
        client, staff, web_case, django_capture_on_commit_callbacks):
    case, applicants_code = web_case
    for role in (Role.INTAKE_CLERK, Role.CASEWORKER):
        refused = issue(client, staff[role], case, reason="applicant_lost_code")
        assert refused.status_code == 400 and code_in(refused) is None
        assert "Your role does not allow this action." in refused.content.decode()
    no_reason = issue(client, staff[Role.SUPERVISOR], case)
    assert no_reason.status_code == 400 and code_in(no_reason) is None
    assert "Choose why the applicant needs a new code." in no_reason.content.decode()
    free_text = issue(client, staff[Role.SUPERVISOR], case, reason="он позвонил")
    assert free_text.status_code == 400 and code_in(free_text) is None
    case.refresh_from_db()
    assert access_code_matches(applicants_code, case.access_code_hash)
    assert not AuditEntry.objects.filter(action__startswith="access_code").exists()

    with django_capture_on_commit_callbacks(execute=True):
        done = issue(client, staff[Role.SUPERVISOR], case, reason="applicant_request_by_phone")
    new_code = code_in(done)
    assert done.status_code == 200 and new_code
    case.refresh_from_db()
    assert access_code_matches(new_code, case.access_code_hash)
    assert not access_code_matches(applicants_code, case.access_code_hash)


def test_every_issue_is_audited_with_its_reason_and_never_the_code(
        client, staff, web_case, register, django_capture_on_commit_callbacks):
    case, _ = web_case
    with django_capture_on_commit_callbacks(execute=True):
        new_code = code_in(issue(client, staff[Role.SUPERVISOR], case,
                                 reason="code_compromised"))
    entry = AuditEntry.objects.get(action="access_code.reissued")
    assert (entry.actor_id, entry.object_type, entry.object_id) == (
        staff[Role.SUPERVISOR].pk, "case", str(case.pk))
    assert entry.data == {"case": case.pk, "channel": "web", "reason_code": "code_compromised"}
    letter_case = register()  # by post: the first code, for the acknowledgement
    first = code_in(issue(client, staff[Role.INTAKE_CLERK], letter_case))
    entry = AuditEntry.objects.get(action="access_code.issued")
    assert entry.data == {"case": letter_case.pk, "channel": "letter",
                          "reason_code": "first_code"}
    dump = json.dumps(list(AuditEntry.objects.values()), default=str)
    for code in (new_code, first):
        assert code not in dump and code.replace("-", "") not in dump


def test_the_applicant_is_told_by_email_and_on_the_status_page(
        client, staff, web_case, mailoutbox, django_capture_on_commit_callbacks):
    case, _ = web_case
    mailoutbox.clear()  # the acknowledgement
    with django_capture_on_commit_callbacks(execute=True):
        new_code = code_in(issue(client, staff[Role.SUPERVISOR], case, language="ru",
                                 reason="applicant_request_by_phone"))
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["anna@example.org"]
    # In the language of the appeal (English), not the supervisor's (Russian).
    assert message.subject == f"A new access code for your appeal {case.number}"
    assert "The previous code no longer works" in message.body
    assert "If you did not ask for a new code" in message.body
    for part in (message.body, message.alternatives[0][0], message.subject):
        assert new_code not in part and new_code.replace("-", "") not in part
    # The status page, opened with the new code, says what happened.
    applicant = Client()
    opened = applicant.post("/en/status/", {"case_number": case.number,
                                            "access_code": new_code})
    assert opened.status_code == 302
    page = applicant.get("/en/status/case/").content.decode()
    assert "The office issued a new access code for this appeal" in page
    ru = Client()
    ru.post("/ru/status/", {"case_number": case.number, "access_code": new_code})
    assert "Приёмная выдала новый код доступа" in ru.get("/ru/status/case/").content.decode()


def test_letter_cases_keep_their_clerks_and_a_reissue_needs_a_reason(
        client, staff, register, mailoutbox, django_capture_on_commit_callbacks):
    case = register()  # by post, no email: nobody to write to
    first = code_in(issue(client, staff[Role.INTAKE_CLERK], case))
    assert first
    again = issue(client, staff[Role.CASEWORKER], case)
    assert again.status_code == 400 and code_in(again) is None
    with django_capture_on_commit_callbacks(execute=True):
        second = code_in(issue(client, staff[Role.CASEWORKER], case,
                               reason="letter_not_delivered"))
    assert second and second != first
    assert mailoutbox == []
    # The replaced code is on the applicant's timeline; the first issue was not.
    public = case.events.filter(kind="access_code_issued", public=True)
    assert public.count() == 1 and public.get().data["reason_code"] == "letter_not_delivered"
    assert case.events.filter(kind="access_code_issued").count() == 2
    # Roles that do not handle letters get nothing.
    for role in (Role.ANALYST, Role.COMMISSION_MEMBER):
        refused = issue(client, staff[role], case, reason="letter_not_delivered")
        assert refused.status_code in (400, 404) and code_in(refused) is None


def test_the_card_offers_the_reasons_only_to_those_who_may(client, staff, web_case):
    case, _ = web_case
    url = reverse("staff:case", args=[case.number])
    client.force_login(staff[Role.CASEWORKER])
    assert "access-code/" not in client.get(url).content.decode()
    client.force_login(staff[Role.SUPERVISOR])
    page = client.get("/en" + url[3:]).content.decode()
    assert "access-code/" in page and 'name="reason"' in page
    assert "applicant_request_by_phone" in page


@pytest.mark.parametrize("channel", Channel.values)
@pytest.mark.parametrize("role", [Role.INTAKE_CLERK, Role.CASEWORKER, Role.SUPERVISOR,
                                  Role.COMMISSION_MEMBER, Role.ANALYST])
def test_the_rule_is_one_table(channel, role):
    by_letter = channel not in (Channel.WEB, Channel.API)
    expected = role == Role.SUPERVISOR or (
        by_letter and role in (Role.INTAKE_CLERK, Role.CASEWORKER))
    assert (role in permissions.access_code_issuers(channel)) is expected
    assert permissions.access_code_reason_needed(channel=channel, replacing=False) \
        is not by_letter
    assert permissions.access_code_reason_needed(channel=channel, replacing=True)


def test_the_service_refuses_without_the_page_too(staff, web_case):
    case, _ = web_case
    with pytest.raises(ApplicationError) as refused:
        access_code_issue(actor=staff[Role.INTAKE_CLERK], case=case,
                          reason="applicant_lost_code")
    assert refused.value.code == "forbidden"
