"""Registering appeals: channels, validation that loses nothing, idempotency, attaching."""

from __future__ import annotations

import pytest

from casedesk.accounts.roles import Role
from casedesk.cases.models import Appeal, Case, CaseEvent
from casedesk.cases.services import case_transition
from casedesk.core.errors import ApplicationError
from casedesk.intake.services import PersonData, appeal_register
from casedesk.people.models import Person


def counts():
    return (Case.objects.count(), Appeal.objects.count(), Person.objects.count(),
            CaseEvent.objects.count())


def test_a_letter_is_registered_at_once(register, staff):
    case = register(channel="letter")
    assert case.state == "registered"
    assert case.number.startswith("MSK-")
    assert case.rulebook_version == "2026.1" and case.procedure == "appeal_59fz"
    appeal = case.appeals.get()
    assert appeal.registered_by == staff[Role.INTAKE_CLERK]
    assert case.service_member.full_name == "Иванов Пётр Сергеевич"
    assert case.applicant_links.get().relation == "mother"
    assert list(case.events.values_list("kind", flat=True)) == ["case_opened", "state_changed"]


@pytest.mark.smoke
def test_a_web_appeal_waits_for_a_clerk(register, office):
    case = register(channel="web", actor=None)
    assert case.state == "received"
    assert case.appeals.get().registered_by is None


def test_a_service_member_writing_for_himself_is_one_person(register):
    case = register(relation="self", service_member=None,
                    applicant=PersonData(full_name="Петров Иван", service_type="contract"))
    assert case.appeals.get().submitter == case.service_member


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"text": "   "}, "missing_text"),
        ({"category": "space_travel"}, "unknown_category"),
        ({"subcategory": "nonsense"}, "unknown_subcategory"),
        ({"relation": "neighbour"}, "unknown_relation"),
        ({"channel": "pigeon"}, "unknown_channel"),
        ({"service_member": None}, "missing_service_member"),
        ({"applicant": PersonData(full_name="  ")}, "missing_name"),
        ({"service_member": PersonData(full_name="Иванов", service_type="pirate")},
         "unknown_service_type"),
        ({"service_member": PersonData(full_name="Иванов", region_code="RU-XX")},
         "unknown_region"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(register, change, code):
    before = counts()
    with pytest.raises(ApplicationError) as refused:
        register(**change)
    assert refused.value.code == code
    assert str(refused.value)  # a message a person can read
    assert counts() == before


def test_staff_of_another_office_or_role_cannot_register(register, staff, other_office):
    for role in (Role.ANALYST, Role.ADMINISTRATOR, Role.COMMISSION_MEMBER):
        with pytest.raises(ApplicationError):
            register(actor=staff[role])
    with pytest.raises(ApplicationError):
        register(office=other_office)
    with pytest.raises(ApplicationError):
        register(actor=None, channel="letter")


def test_a_repeated_idempotency_key_gives_the_same_appeal(register):
    first = register(channel="web", actor=None, idempotency_key="k-123")
    before = counts()
    second = register(channel="web", actor=None, idempotency_key="k-123")
    assert second == first
    assert counts() == before


def test_an_appeal_can_join_an_open_case(register, staff):
    case = register()
    more = register(attach_to=case, applicant=PersonData(full_name="Иванов Сергей"),
                    relation="father", text="Дополнение: выписка из госпиталя.")
    assert more == case
    assert case.appeals.count() == 2
    assert set(case.applicant_links.values_list("relation", flat=True)) == {"mother", "father"}
    assert case.events.filter(kind="appeal_attached").count() == 1
    assert Case.objects.count() == 1


def test_a_closed_case_takes_no_more_appeals(register, staff):
    case = register()
    for name, extra in [("start_review", {}), ("answer", {"outcome": "explained", "answer": 1}),
                        ("close", {})]:
        case = case_transition(actor=staff[Role.CASEWORKER], case=case, transition=name,
                               **extra)
    before = counts()
    with pytest.raises(ApplicationError) as refused:
        register(attach_to=case)
    assert refused.value.code == "case_not_open"
    assert counts() == before


def test_a_case_of_another_office_cannot_be_joined(register, other_office, make_user):
    clerk = make_user(Role.INTAKE_CLERK, other_office)
    theirs = register(office=other_office, actor=clerk)
    with pytest.raises(ApplicationError) as refused:
        register(attach_to=theirs)
    assert refused.value.code == "not_found"


def test_a_registered_appeal_cannot_be_changed(register):
    appeal = register().appeals.get()
    appeal.text = "rewritten"
    with pytest.raises(ValueError, match="cannot be changed"):
        appeal.save()
    assert Appeal.objects.get(pk=appeal.pk).text != "rewritten"


def test_register_direct_call_with_all_fields(office, staff):
    appeal = appeal_register(
        actor=staff[Role.CASEWORKER], office=office, channel="email", text="Text in English",
        language="en", applicant=PersonData(full_name="Anna Smirnova", email="a@example.org"),
        relation="wife",
        service_member=PersonData(full_name="Ivan Smirnov", region_code="RU-MOW",
                                  service_type="mobilized"),
        category="demobilization_term", request="Discharge",
    )
    assert appeal.language == "en"
    assert appeal.case.service_member.region.code == "RU-MOW"


@pytest.mark.parametrize("change", [
    {"applicant": PersonData(full_name="Иванова", phone="1" * 41)},
    {"service_member": PersonData(full_name="Иванов", unit="9" * 101)},
    {"applicant": PersonData(full_name="Иванова", email="a" * 250 + "@x.org")},
    {"text": "a\x00b"},
])
def test_values_no_column_can_hold_are_refused_not_crashed(register, change):
    before = counts()
    with pytest.raises(ApplicationError) as refused:
        register(**change)
    assert refused.value.code in ("too_long", "bad_characters")
    assert counts() == before


def test_a_repeated_public_submission_gets_the_first_receipt(office, staff):
    from casedesk.cases.services import case_transition
    from casedesk.intake.public import appeal_submit

    args = dict(channel="web", idempotency_key="k" * 20, payload={"a": 1},
                applicant=PersonData(full_name="Петрова Анна"), relation="mother",
                service_member=PersonData(full_name="Петров Иван"), text="Текст",
                consent=True, office=office)
    first = appeal_submit(**args)
    case = Case.objects.get(number=first.case_number)
    case_transition(actor=staff[Role.INTAKE_CLERK], case=case, transition="register")
    assert appeal_submit(**args) == first
    # The same key through another channel is another submission.
    assert appeal_submit(**{**args, "channel": "api"}).case_number != first.case_number
    with pytest.raises(ApplicationError) as refused:
        appeal_submit(**{**args, "payload": {"a": 2}})
    assert refused.value.code == "idempotency_key_reused"


def test_checking_appeals_reads_the_regions_once(db, django_assert_num_queries):
    from casedesk.core.models import Region
    from casedesk.intake.services import appeal_check, region_ids_forget

    def check(code):
        return appeal_check(channel="api", text="Текст", request="", relation="mother",
                            applicant=PersonData(full_name="Иванова Анна"),
                            service_member=PersonData(full_name="Иванов Пётр",
                                                      region_code=code))

    region_ids_forget()
    codes = list(Region.objects.order_by("code").values_list("code", flat=True)[:3])
    with django_assert_num_queries(1):  # every region's id, at the first check
        subjects = [check(code).subject for code in codes]
    with django_assert_num_queries(0):  # then from memory, whatever the region
        again = [check(code).subject for code in reversed(codes)]
    assert [s.region.code for s in subjects] == codes
    assert [s.region_id for s in again] == [s.region_id for s in reversed(subjects)]
    # A region added later is still found (one more query), and an unknown one refused.
    Region.objects.create(code="RU-ZZZ", name_ru="Новый", name_en="New",
                          federal_district="—")
    assert check("RU-ZZZ").subject.region.code == "RU-ZZZ"
    with pytest.raises(ApplicationError) as refused:
        check("RU-NONE")
    assert refused.value.code == "unknown_region"


def test_the_desk_stores_a_file_before_the_locks_and_audits_last(office, staff, settings,
                                                                 tmp_path):
    """A letter with a scan, registered at the desk: the file is stored before the
    transaction takes the number counter; the case is registered at once (вх. №); the
    audit entries are the transaction's last rows."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from casedesk.audit.models import AuditEntry
    from casedesk.cases.documents import file_read
    from casedesk.cases.models import IncomingEntry
    from casedesk.testing import pdf_bytes

    settings.MEDIA_ROOT = tmp_path
    clerk = staff[Role.INTAKE_CLERK]
    scan = SimpleUploadedFile("scan.pdf", pdf_bytes("scan"), "application/pdf")
    with CaptureQueriesContext(connection) as queries:
        appeal = appeal_register(
            actor=clerk, office=office, channel="letter", text="Письмо с копией приказа.",
            applicant=PersonData(full_name="Иванова Анна"), relation="mother",
            service_member=PersonData(full_name="Иванов Пётр"), category="other",
            attachments=[(scan, "")])
    case = Case.objects.get(pk=appeal.case_id)
    assert case.state == "registered"
    assert IncomingEntry.objects.get(appeal=appeal).number
    document = case.documents.get()
    assert (document.appeal_id, document.uploaded_by, document.public) == (
        appeal.pk, clerk, False)
    assert file_read(document) == pdf_bytes("scan")
    statements = [q["sql"] for q in queries.captured_queries]
    locked = next(i for i, sql in enumerate(statements) if "FOR UPDATE" in sql)
    assert not any('"cases_document"' in sql for sql in statements[locked:])
    # From the audit chain's lock to the commit: audit rows only, the registration's
    # entry (deferred by case_transition_inner) with the others, in one write.
    audit = statements.index(next(sql for sql in statements if "pg_advisory_xact_lock" in sql))
    assert all("audit_auditentry" in sql for sql in statements[audit + 1:]
               if sql.startswith(("INSERT", "COPY", "UPDATE"))), statements[audit + 1:]
    assert list(AuditEntry.objects.order_by("seq").values_list("action", flat=True))[-3:] \
        == ["case.transition", "appeal.register", "document.added"]


def test_a_refused_scan_at_the_desk_registers_nothing(office, staff, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    before = counts()
    with pytest.raises(ApplicationError):
        appeal_register(
            actor=staff[Role.INTAKE_CLERK], office=office, channel="letter", text="Письмо.",
            applicant=PersonData(full_name="Иванова Анна"), relation="mother",
            service_member=PersonData(full_name="Иванов Пётр"), category="other",
            attachments=[(SimpleUploadedFile("x.pdf", b"MZ" + b"\0" * 64), "")])
    assert counts() == before
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]
