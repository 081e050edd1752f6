"""GET/POST /api/v1/public/status: the applicant's view of a case for its number and access
code; one 404 for every wrong pair; nothing internal shown; limited per IP and per case."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from casedesk.accounts.roles import Role
from casedesk.cases.models import Case
from casedesk.cases.services import case_transition, deadline_extend, note_add

from .conftest import STATUS

pytestmark = pytest.mark.urls("casedesk.api.tests.urls")

QUESTION = "Пришлите, пожалуйста, копию выписного эпикриза."
SECRET = "Служебная причина: жалоба в прокуратуру не подавалась"
NOTE = "Внутренняя заметка: позвонить в военкомат"


@pytest.fixture
def receipt(submit):
    response = submit()
    assert response.status_code == 201
    return response.json()


def test_the_right_code_shows_the_stage_and_the_due_date(receipt, check_status):
    for _ in range(2):
        response = check_status(receipt["case_number"], receipt["access_code"],
                                HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 200, response.content
        status = response.json()
        assert status["case_number"] == receipt["case_number"]
        assert status["stage"] == "received"
        assert status["stage_text"] == "Your appeal has arrived and is waiting to be registered."
        assert status["answer_due"] == receipt["answer_due"]
        assert status["late"] is False
        assert status["question"] is None
        assert [(item["kind"], item["text"]) for item in status["timeline"]] == [
            ("case_opened", "The appeal was received.")]
        assert dt.datetime.fromisoformat(status["timeline"][0]["at"])
        assert "no-store" in response["Cache-Control"]


def test_the_number_and_code_are_read_as_people_type_them(receipt, check_status):
    code = receipt["access_code"].replace("-", " ").lower()
    response = check_status(f"  {receipt['case_number'].lower()} ", code)
    assert response.status_code == 200


def test_a_wrong_code_and_an_unknown_number_get_the_same_404(receipt, check_status):
    wrong_code = check_status(receipt["case_number"], "AAAA-AAAA-AAAA")
    unknown = check_status("MSK-1999-99999", receipt["access_code"])
    assert wrong_code.status_code == unknown.status_code == 404
    assert wrong_code.content == unknown.content
    assert wrong_code.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(("language", "word"), [("ru", "Мы не нашли"), ("en", "could not find")])
def test_the_404_message_is_in_the_language_of_the_request(check_status, language, word, db):
    response = check_status("MSK-1999-99999", "AAAA-AAAA-AAAA", HTTP_ACCEPT_LANGUAGE=language)
    assert word in response.json()["error"]["message"]


@pytest.mark.parametrize(
    ("body", "status"),
    [({}, 422), ({"case_number": "MSK-1"}, 422),
     ({"case_number": 5, "access_code": 5}, 422),
     ({"case_number": "", "access_code": ""}, 422),
     ({"case_number": "MSK\x00", "access_code": "A"}, 422),
     ({"case_number": "M" * 65, "access_code": "A"}, 422),
     ({"case_number": "ЖЖЖ-1", "access_code": "Ж"}, 404)],
)
def test_bad_status_requests_get_a_4xx(client, db, body, status):
    response = client.post(STATUS, json.dumps(body), content_type="application/json")
    assert response.status_code == status, response.content
    assert response.json()["error"]["code"] in ("invalid", "not_found")


def test_the_applicant_sees_the_question_and_the_history_but_nothing_internal(
        receipt, check_status, staff):
    case = Case.objects.get(number=receipt["case_number"])
    case_transition(actor=staff[Role.INTAKE_CLERK], case=case, transition="register")
    case_transition(actor=staff[Role.CASEWORKER], case=case, transition="start_review")
    note_add(actor=staff[Role.CASEWORKER], case=case, text=NOTE)
    extended = deadline_extend(actor=staff[Role.SUPERVISOR], case=case, days=10, reason=SECRET)
    case_transition(actor=staff[Role.CASEWORKER], case=case, transition="request_information",
                    message=QUESTION)

    response = check_status(receipt["case_number"], receipt["access_code"],
                            HTTP_ACCEPT_LANGUAGE="ru")
    assert response.status_code == 200
    status = response.json()
    assert status["stage"] == "awaiting_information"
    assert status["question"] == QUESTION
    assert status["answer_due"] == extended.due_on.isoformat()
    texts = [item["text"] for item in status["timeline"]]
    assert texts[0] == "Обращение поступило."
    assert any(QUESTION in text for text in texts)
    assert any(text.startswith("Срок ответа продлён до") for text in texts)
    kinds = [item["kind"] for item in status["timeline"]]
    assert "note_added" not in kinds and "assigned" not in kinds

    # Referral reasons, extension reasons, notes and staff names never leave the office.
    case_transition(actor=staff[Role.CASEWORKER], case=case, transition="information_received")
    case_transition(actor=staff[Role.CASEWORKER], case=case, transition="refer_to_commission",
                    reason=SECRET)
    response = check_status(receipt["case_number"], receipt["access_code"])
    content = response.content.decode()
    assert response.json()["stage"] == "referred_to_commission"
    assert response.json()["question"] is None
    for secret in (SECRET, NOTE, *(user.username for user in staff.values())):
        assert secret not in content
    for user in staff.values():
        assert str(user.pk) not in {str(v) for item in response.json()["timeline"]
                                    for v in item.values()}


def test_the_answer_and_its_outcome_are_shown(receipt, check_status, staff, settings,
                                              tmp_path):
    from casedesk.letters.answers import answer_draft_save, answer_sign

    settings.MEDIA_ROOT = tmp_path / "media"
    case = Case.objects.get(number=receipt["case_number"])
    for transition in ("register", "start_review"):
        case_transition(actor=staff[Role.CASEWORKER], case=case, transition=transition)
    answer_draft_save(actor=staff[Role.CASEWORKER], case=case, outcome="upheld",
                      text="The record has been corrected.\n\nThe unit confirmed it.")
    status = check_status(receipt["case_number"], receipt["access_code"]).json()
    assert status["answers"] == []  # a draft is not shown
    answer = answer_sign(actor=staff[Role.CASEWORKER], case=case)
    status = check_status(receipt["case_number"], receipt["access_code"],
                          HTTP_ACCEPT_LANGUAGE="en").json()
    assert status["stage"] == "answered"
    assert status["answer_due"] is None
    assert "Outcome: upheld." in status["timeline"][-1]["text"]
    [shown] = status["answers"]
    assert shown["text"] == "The record has been corrected.\n\nThe unit confirmed it."
    assert shown["number"] == answer.outgoing_number
    assert shown["outcome"] == "upheld" and shown["supplement"] is False


def test_the_status_query_count_does_not_grow_with_the_history(
        receipt, check_status, staff, django_assert_max_num_queries):
    case = Case.objects.get(number=receipt["case_number"])
    with django_assert_max_num_queries(6):
        check_status(receipt["case_number"], receipt["access_code"])
    case_transition(actor=staff[Role.CASEWORKER], case=case, transition="register")
    case_transition(actor=staff[Role.CASEWORKER], case=case, transition="start_review")
    for _ in range(3):
        case_transition(actor=staff[Role.CASEWORKER], case=case,
                        transition="request_information", message=QUESTION)
        case_transition(actor=staff[Role.CASEWORKER], case=case,
                        transition="information_received")
    with django_assert_max_num_queries(6):
        response = check_status(receipt["case_number"], receipt["access_code"])
    assert len(response.json()["timeline"]) == 9


def test_status_checks_are_rate_limited_per_ip(receipt, check_status, settings):
    settings.CASEDESK_RATE_STATUS = "3/10m"
    for _ in range(3):
        assert check_status(receipt["case_number"], receipt["access_code"]).status_code == 200
    refused = check_status(receipt["case_number"], receipt["access_code"])
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "rate_limited"
    assert int(refused["Retry-After"]) >= 1
    other_ip = check_status(receipt["case_number"], receipt["access_code"],
                            REMOTE_ADDR="10.0.0.9")
    assert other_ip.status_code == 200


def test_failed_attempts_lock_the_case_number_from_every_ip(receipt, check_status, settings,
                                                            submit):
    settings.CASEDESK_RATE_STATUS_FAILURES = "2/10m"
    number, code = receipt["case_number"], receipt["access_code"]
    for ip in ("10.0.0.1", "10.0.0.2"):
        assert check_status(number, "AAAA-AAAA-AAAA", REMOTE_ADDR=ip).status_code == 404
    for ip in ("10.0.0.1", "10.0.0.3"):
        locked = check_status(number.lower(), code, REMOTE_ADDR=ip)
        assert locked.status_code == 429
        assert int(locked["Retry-After"]) >= 1
    # Another case is not locked, and successes do not count as failures.
    other = submit(key="key-0000-0002").json()
    for _ in range(3):
        assert check_status(other["case_number"], other["access_code"]).status_code == 200
