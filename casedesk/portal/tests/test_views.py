"""The public portal without a browser: submission, receipt, status, replies, abuse."""

from __future__ import annotations

import html
import re

import pytest
from django.core.cache import cache
from django.urls import reverse

from casedesk.accounts.roles import Role
from casedesk.cases.models import Appeal, Case
from casedesk.cases.services import case_transition


@pytest.fixture(autouse=True)
def fresh_limits():
    cache.clear()
    yield
    cache.clear()


def form_key(client, language="ru"):
    page = client.get(f"/{language}/appeal/")
    return re.search(r'name="key" value="([0-9a-f]+)"', page.content.decode()).group(1)


def appeal_data(key, **changes):
    data = {
        "key": key, "relation": "mother", "applicant_name": "Петрова Анна Ивановна",
        "email": "anna@example.org", "postal_address": "Тверь, ул. Примерная, 3",
        "member_name": "Петров Иван Сергеевич", "member_birth_date": "1995-02-01",
        "member_unit": "12345", "member_service_type": "mobilized",
        "category": "record_error_awol", "text": "Сын в госпитале, а в части записан в СОЧ.",
        "request": "Исправить запись", "consent": "on",
    }
    data.update(changes)
    return data


def submit(client, language="ru", **changes):
    response = client.post(f"/{language}/appeal/", appeal_data(form_key(client, language),
                                                                **changes))
    receipt = client.get(reverse("portal:receipt"))
    text = receipt.content.decode()
    number = re.search(r"<strong>([A-Z]+-\d{4}-\d{6})</strong>", text).group(1)
    code = re.search(r'class="code">([A-Z0-9-]+)<', text).group(1)
    return response, number, code


def test_an_appeal_from_the_form_waits_for_registration(client, office):
    response, number, code = submit(client)
    assert response.status_code == 302
    case = Case.objects.get(number=number)
    assert case.state == "received" and case.appeals.get().channel == "web"
    assert case.access_code_hash and code not in case.access_code_hash
    assert case.category == "record_error_awol"


def test_the_receipt_shows_the_code_once_and_a_due_date(client, office):
    _, number, code = submit(client)
    again = client.get(reverse("portal:receipt")).content.decode()
    assert number in again and code not in again
    assert "not shown again" in client.get("/en/appeal/received/").content.decode()


def test_a_double_submit_creates_one_appeal(client, office):
    key = form_key(client)
    first = client.post("/ru/appeal/", appeal_data(key))
    second = client.post("/ru/appeal/", appeal_data(key))
    assert first.status_code == second.status_code == 302
    assert Case.objects.count() == 1 and Appeal.objects.count() == 1


@pytest.mark.parametrize(("language", "words"), [
    ("ru", "Напишите ФИО военнослужащего"), ("en", "Write the service member's full name")])
def test_errors_are_clear_and_lose_nothing(client, office, language, words):
    response = client.post(f"/{language}/appeal/", appeal_data(form_key(client, language),
                                                              member_name="", consent=""))
    assert response.status_code == 400
    text = response.content.decode()
    assert words in html.unescape(text)
    assert "Сын в госпитале" in text  # what was typed is still there
    assert Case.objects.count() == 0


def test_a_file_that_is_not_a_document_is_refused_and_nothing_saved(client, office):
    from django.core.files.uploadedfile import SimpleUploadedFile

    bad = SimpleUploadedFile("photo.jpg", b"<html>not an image</html>", "image/jpeg")
    data = appeal_data(form_key(client, "en"), files=[bad])
    response = client.post("/en/appeal/", data)
    assert response.status_code == 400
    assert "Only PDF, JPEG, PNG, WebP or HEIC files can be added." in response.content.decode()
    assert Case.objects.count() == 0


def test_status_needs_number_and_code_and_says_nothing_about_which_was_wrong(client, office):
    _, number, code = submit(client)
    wrong = client.post("/en/status/", {"case_number": number, "access_code": "AAAA-AAAA"})
    missing = client.post("/en/status/", {"case_number": "MSK-2026-999999",
                                          "access_code": "AAAA-AAAA"})
    assert wrong.status_code == missing.status_code == 400
    token = re.compile(rb'name="(csrfmiddlewaretoken|case_number)"[^>]*value="[^"]+"')
    assert token.sub(b"", wrong.content) == token.sub(b"", missing.content)
    right = client.post("/en/status/", {"case_number": number.lower(),
                                        "access_code": code.lower().replace("-", " ")})
    assert right.status_code == 302 and right["Location"] == "/en/status/case/"
    page = client.get("/en/status/case/")
    assert "waiting to be registered" in page.content.decode()
    assert page["Cache-Control"].startswith("max-age=0") or "no-cache" in page["Cache-Control"]


def test_wrong_codes_are_throttled_per_case(client, office, settings):
    settings.CASEDESK_RATE_STATUS_FAILURES = "3/10m"
    _, number, code = submit(client)
    for _ in range(3):
        client.post("/en/status/", {"case_number": number, "access_code": "WRONG"})
    blocked = client.post("/en/status/", {"case_number": number, "access_code": code})
    assert blocked.status_code == 429 and "Retry-After" in blocked


def test_submissions_are_rate_limited_per_client(client, office, settings):
    settings.CASEDESK_RATE_SUBMIT = "2/h"
    submit(client)
    submit(client, text="Второе обращение: о выплате за ранение.")
    response = client.post("/ru/appeal/", appeal_data(form_key(client), text="Третье"))
    assert response.status_code == 429
    assert Case.objects.count() == 2


def test_the_applicant_answers_a_question_and_the_case_goes_back_to_review(client, office,
                                                                          staff):
    _, number, code = submit(client)
    case = Case.objects.get(number=number)
    for name, actor, extra in [("register", Role.INTAKE_CLERK, {}),
                               ("start_review", Role.CASEWORKER, {}),
                               ("request_information", Role.CASEWORKER,
                                {"message": "Пришлите выписку из госпиталя."})]:
        case = case_transition(actor=staff[actor], case=case, transition=name, **extra)
    client.post("/ru/status/", {"case_number": number, "access_code": code})
    page = client.get("/ru/status/case/").content.decode()
    assert "Пришлите выписку из госпиталя." in page
    assert "caseworker" not in page  # no staff names on the public page
    response = client.post("/ru/status/case/", {"text": "Выписку прикладываю."})
    assert response.status_code == 302, re.findall(r'role="alert">([^<]+)<',
                                                   response.content.decode())
    case.refresh_from_db()
    assert case.state == "in_review" and case.appeals.count() == 2
    event = case.events.order_by("-id").first()
    assert event.data["transition"] == "information_provided" and event.actor is None


def test_the_status_page_needs_the_code_first(client, office):
    assert client.get("/en/status/case/")["Location"] == "/en/status/"


def test_no_personal_data_or_code_in_urls(client, office):
    response, number, code = submit(client)
    locations = [response["Location"]]
    locations.append(client.post("/en/status/", {"case_number": number,
                                                 "access_code": code})["Location"])
    for location in locations:
        assert number not in location and code not in location and "?" not in location


def test_back_and_send_the_same_content_again_gives_the_first_receipt(client, office):
    _, number, _code = submit(client)
    # The browser's back button: a new page with a new key, the same fields restored.
    response = client.post("/ru/appeal/", appeal_data(form_key(client)))
    assert response.status_code == 302
    assert Case.objects.count() == 1
    assert number in client.get(reverse("portal:receipt")).content.decode()


@pytest.mark.parametrize(("language", "words"), [
    ("ru", ["Ответ на ваше обращение", "Результат рассмотрения", "Подписанное письмо (PDF)",
            "Ответ на обращение подписан и направлен"]),
    ("en", ["The office's answer", "Outcome", "The signed letter (PDF)",
            "The office signed and sent its answer"]),
])
def test_the_status_page_shows_the_signed_answer_and_its_letter(client, office, staff,
                                                                settings, tmp_path,
                                                                language, words):
    from casedesk.letters.answers import answer_draft_save, answer_sign

    settings.MEDIA_ROOT = tmp_path / "media"
    _, number, code = submit(client, language=language)
    case = Case.objects.get(number=number)
    for name, actor in [("register", Role.INTAKE_CLERK), ("start_review", Role.CASEWORKER)]:
        case = case_transition(actor=staff[actor], case=case, transition=name)
    answer_draft_save(actor=staff[Role.CASEWORKER], case=case, outcome="upheld",
                      text="Запись исправлена.\n\nЧасть подтвердила лечение.")
    client.post(f"/{language}/status/", {"case_number": number, "access_code": code})
    page = client.get(f"/{language}/status/case/").content.decode()
    assert "Запись исправлена." not in page  # a draft is not shown
    answer = answer_sign(actor=staff[Role.CASEWORKER], case=case)
    page = client.get(f"/{language}/status/case/").content.decode()
    assert "<p>Запись исправлена.</p>" in page and "Часть подтвердила лечение." in page
    assert answer.outgoing_number in page
    for word in words:
        assert word in page, word
    link = reverse("portal:document", args=[answer.letter_pdf_id])
    assert link in page
    letter = client.get(link)
    assert letter.status_code == 200 and letter["Content-Type"] == "application/pdf"


def test_a_document_enclosed_with_the_signed_answer_can_be_downloaded(client, office, staff,
                                                                       settings, tmp_path):
    """What the office encloses with its answer reaches the applicant with it; a document
    enclosed in a draft, or not enclosed at all, does not."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from casedesk.cases.documents import document_add
    from casedesk.letters.answers import answer_draft_save, answer_sign
    from casedesk.testing import pdf_bytes

    settings.MEDIA_ROOT = tmp_path / "media"
    _, number, code = submit(client, language="ru")
    case = Case.objects.get(number=number)
    for name, actor in [("register", Role.INTAKE_CLERK), ("start_review", Role.CASEWORKER)]:
        case = case_transition(actor=staff[actor], case=case, transition=name)
    worker = staff[Role.CASEWORKER]
    reply, internal = (
        document_add(actor=worker, case=case, doc_type=doc_type,
                     upload=SimpleUploadedFile(name, pdf_bytes(name), "application/pdf"))
        for name, doc_type in [("otvet-chasti.pdf", "earlier_answer"),
                               ("spravka-dlya-dela.pdf", "other")])
    answer_draft_save(actor=worker, case=case, outcome="upheld", text="Запись исправлена.",
                      attachment_ids=[reply.pk])
    client.post("/ru/status/", {"case_number": number, "access_code": code})
    link = reverse("portal:document", args=[reply.pk])
    assert link not in client.get("/ru/status/case/").content.decode()
    assert client.get(link).status_code == 404  # not before the answer is signed

    answer_sign(actor=worker, case=case)
    page = client.get("/ru/status/case/").content.decode()
    assert link in page
    download = client.get(link)
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert client.get(reverse("portal:document", args=[internal.pk])).status_code == 404


def test_the_appeal_forms_lengths_are_the_appeal_schemas(db):
    from casedesk.intake import schema
    from casedesk.portal.forms import AppealForm

    fields = AppealForm().fields
    assert (fields["applicant_name"].max_length, fields["member_unit"].max_length,
            fields["text"].max_length) == (schema.NAME_MAX, schema.UNIT_MAX, schema.TEXT_MAX)
