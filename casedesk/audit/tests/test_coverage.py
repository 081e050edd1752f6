"""Notes, uploads, letters and the applicant's downloads leave one audit entry each, made
through the pages staff and applicants use, holding ids and codes only."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile

from casedesk.accounts.roles import Role
from casedesk.audit.models import AuditEntry
from casedesk.cases import documents
from casedesk.cases.models import Case, CaseNote
from casedesk.cases.permissions import ApplicantActor

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
# what the register fixture and the appeal below put in the case: none may reach the log
PERSONAL = ("Иванова", "Анна", "Петровна", "Иванов", "Пётр", "Примерная", "Петрова",
            "anna@example.org", "caseworker", "intake_clerk")


@pytest.fixture(autouse=True)
def fresh_limits():
    cache.clear()
    yield
    cache.clear()


def only(action: str) -> AuditEntry:
    entries = list(AuditEntry.objects.filter(action=action))
    assert len(entries) == 1, [(e.action, e.object_type, e.object_id) for e in entries]
    return entries[0]


def assert_holds_nothing_personal(entry: AuditEntry, *texts: str) -> None:
    row = " ".join(str(value) for value in (
        entry.actor_id, entry.actor_kind, entry.action, entry.object_type, entry.object_id,
        entry.ip, entry.data))
    for text in (*PERSONAL, *texts):
        assert text not in row, text


def test_a_staff_note_is_recorded_without_its_text(client, staff, register):
    case = register()
    worker = staff[Role.CASEWORKER]
    client.force_login(worker)
    text = "Звонила мать, Иванова Анна Петровна: просит перезвонить по телефону"
    response = client.post(f"/en/staff/cases/{case.number}/notes/", {"text": text})
    assert response.status_code == 302

    note = CaseNote.objects.get(case=case)
    entry = only("note.added")
    assert (entry.actor_id, entry.actor_kind) == (worker.pk, "staff")
    assert (entry.object_type, entry.object_id) == ("note", str(note.pk))
    assert entry.data == {"case": case.pk}
    assert_holds_nothing_personal(entry, text, "перезвонить")


def test_a_staff_upload_is_recorded_without_the_file_name(client, staff, register):
    case = register()
    clerk = staff[Role.INTAKE_CLERK]
    client.force_login(clerk)
    name = "Справка Иванов Пётр госпиталь.pdf"
    response = client.post(f"/en/staff/cases/{case.number}/documents/", {
        "file": SimpleUploadedFile(name, PDF, "application/pdf"), "doc_type": "discharge_summary"})
    assert response.status_code == 302

    document = case.documents.get()
    entry = only("document.added")
    assert (entry.actor_id, entry.actor_kind) == (clerk.pk, "staff")
    assert (entry.object_type, entry.object_id) == ("document", str(document.pk))
    assert entry.data == {"case": case.pk, "doc_type": "discharge_summary"}
    assert_holds_nothing_personal(entry, name, "Справка", "госпиталь")


def test_an_applicant_upload_is_recorded_as_the_applicants(register):
    case = register()
    name = "Иванова-ответ.pdf"
    document = documents.document_add(
        actor=ApplicantActor(case_id=case.pk), case=case, doc_type="other", public=True,
        upload=SimpleUploadedFile(name, PDF, "application/pdf"))

    entry = only("document.added")
    assert (entry.actor_id, entry.actor_kind) == (None, "applicant")
    assert (entry.object_type, entry.object_id) == ("document", str(document.pk))
    assert entry.data == {"case": case.pk, "doc_type": "other"}
    assert_holds_nothing_personal(entry, name, "ответ")


def test_a_refused_upload_is_not_recorded(client, staff, register):
    case = register()
    client.force_login(staff[Role.INTAKE_CLERK])
    response = client.post(f"/en/staff/cases/{case.number}/documents/", {
        "file": SimpleUploadedFile("x.pdf", b"<html>no</html>", "application/pdf"),
        "doc_type": "other"})
    assert response.status_code == 400
    assert not AuditEntry.objects.filter(action="document.added").exists()


def appeal_form(client) -> dict:
    page = client.get("/en/appeal/").content.decode()
    key = re.search(r'name="key" value="([0-9a-f]+)"', page).group(1)
    return {
        "key": key, "relation": "mother", "applicant_name": "Петрова Анна Ивановна",
        "email": "anna@example.org", "postal_address": "Тверь, ул. Примерная, 3",
        "member_name": "Петров Иван Сергеевич", "member_birth_date": "1995-02-01",
        "member_unit": "12345", "member_service_type": "mobilized",
        "category": "record_error_awol", "text": "Сын в госпитале, а в части записан в СОЧ.",
        "request": "Исправить запись", "consent": "on",
    }


def test_files_sent_with_a_web_appeal_are_recorded_as_the_applicants(client, office):
    name = "Петрова выписка.pdf"
    data = appeal_form(client)
    data["files"] = [SimpleUploadedFile(name, PDF, "application/pdf")]
    assert client.post("/en/appeal/", data).status_code == 302

    case = Case.objects.get()
    entry = only("document.added")
    assert (entry.actor_id, entry.actor_kind) == (None, "applicant")
    assert entry.object_id == str(case.documents.get().pk)
    assert entry.data == {"case": case.pk, "doc_type": "other"}
    assert_holds_nothing_personal(entry, name, "выписка")


def test_a_letter_is_recorded_once_with_its_documents(client, staff, register):
    case = register()
    worker = staff[Role.CASEWORKER]
    client.force_login(worker)
    response = client.post(f"/en/staff/cases/{case.number}/letters/",
                           {"kind": "acknowledgement"})
    assert response.status_code == 302

    letters = sorted(case.documents.filter(doc_type="letter").values_list("pk", flat=True))
    assert len(letters) == 2
    entry = only("letter.generated")
    assert (entry.actor_id, entry.actor_kind) == (worker.pk, "staff")
    assert (entry.object_type, entry.object_id) == ("case", str(case.pk))
    assert entry.data["kind"] == "acknowledgement"
    assert entry.data["language"] in {"ru", "en"}
    assert sorted(entry.data["document"]) == letters
    assert set(entry.data) == {"kind", "language", "document"}
    names = case.documents.values_list("original_name", flat=True)
    assert_holds_nothing_personal(entry, case.number, *names)
    # the letter's files are not uploads
    assert not AuditEntry.objects.filter(action="document.added").exists()


def test_the_applicant_downloading_a_letter_is_recorded(client, staff, register):
    from django.test import Client

    case = register()
    worker = staff[Role.CASEWORKER]
    client.force_login(worker)
    client.post(f"/en/staff/cases/{case.number}/letters/", {"kind": "acknowledgement"})
    response = client.post(f"/en/staff/cases/{case.number}/access-code/",
                           {"reason": "letter_not_delivered"}, follow=True)
    code = re.search(r"access code for the applicant: ([A-Z0-9-]+)\.",
                     response.content.decode()).group(1)
    letter = case.documents.filter(doc_type="letter").order_by("pk").first()

    applicant = Client()
    signed_in = applicant.post("/en/status/", {"case_number": case.number, "access_code": code})
    assert signed_in.status_code == 302
    assert not AuditEntry.objects.filter(action="document.read").exists()
    download = applicant.get(f"/en/status/documents/{letter.pk}/")
    assert download.status_code == 200
    b"".join(download.streaming_content)

    entry = only("document.read")
    assert (entry.actor_id, entry.actor_kind) == (None, "applicant")
    assert (entry.object_type, entry.object_id) == ("document", str(letter.pk))
    assert entry.data == {"case": case.pk}
    assert_holds_nothing_personal(entry, letter.original_name, case.number, code)
    # a document that is not a letter to the applicant is neither shown nor recorded
    upload = documents.document_add(
        actor=worker, case=case, doc_type="other",
        upload=SimpleUploadedFile("internal.pdf", PDF, "application/pdf"))
    assert applicant.get(f"/en/status/documents/{upload.pk}/").status_code == 404
    assert AuditEntry.objects.filter(action="document.read").count() == 1
