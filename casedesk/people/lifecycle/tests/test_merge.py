"""Merging two records of one man (people.lifecycle.merge): everything moves, everything
sealed with the merged-away record's key is sealed again under the kept one's and opens
with it after that key is destroyed; the actor must see every case of both; erasing the
kept record afterwards leaves nothing readable of either."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone

from casedesk.accounts.roles import Role
from casedesk.audit.models import AuditEntry
from casedesk.cases.documents import document_add, file_read
from casedesk.cases.extensions import extension_request
from casedesk.cases.models import (
    Appeal,
    Case,
    CaseApplicant,
    CaseEvent,
    CaseNote,
    Document,
    ExtensionRequest,
)
from casedesk.cases.search import _people
from casedesk.cases.services import case_transition, note_add
from casedesk.core import crypto, tokens
from casedesk.core.errors import ApplicationError
from casedesk.core.fields import _Encrypted
from casedesk.core.management.commands.backup_verify import _references
from casedesk.core.models import DataKey
from casedesk.intake.services import PersonData, appeal_register
from casedesk.people.lifecycle.erasure import person_erase
from casedesk.people.lifecycle.merge import case_member_link, person_merge
from casedesk.people.models import Person, PersonUnit
from casedesk.review.models import Commission, CommissionMember, Referral
from casedesk.review.services import referral_create
from casedesk.testing import pdf_bytes

MEMBER = "Кузнецов Андрей Викторович"
BIRTH = dt.date(1994, 3, 2)
PHONE = "+7 916 123-45-67"
NOTE_1 = "Мать звонила: сын в госпитале под Ростовом."
NOTE_2 = "Жена прислала справку о ранении из госпиталя Бурденко."
QUESTION = "Признать ли запись о СОЧ ошибочной?"
MARKER = "MERGE-MARKER-5Q7Z"


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def both(office, other_office, make_user):
    """A caseworker of both offices."""
    return make_user(Role.CASEWORKER, office, other_office, username="both")


@pytest.fixture
def two_records(register, staff, office, other_office, make_user, media):
    """The same man registered twice: in Moscow by his mother (birth date, unit 74814),
    in St Petersburg by his wife (phone, unit 12345) with a note, timeline texts, a
    document, an extension request and a commission referral."""
    first = register(
        applicant=PersonData(full_name="Кузнецова Мария Ивановна", phone="+7 903 000-11-22"),
        relation="mother",
        service_member=PersonData(full_name=MEMBER, birth_date=BIRTH, unit="в/ч 74814",
                                  service_type="mobilized"),
        received_at=timezone.now() - dt.timedelta(days=60))
    note_add(actor=staff[Role.CASEWORKER], case=first, text=NOTE_1)
    spb = make_user(Role.CASEWORKER, other_office, username="spb")
    second = register(
        actor=make_user(Role.INTAKE_CLERK, other_office), office=other_office,
        applicant=PersonData(full_name="Кузнецова Ольга Петровна", email="olga@example.org"),
        relation="wife",
        service_member=PersonData(full_name="Кузнецов Андрей", phone=PHONE, unit="12345",
                                  postal_address="Псков, ул. Садовая, 3"),
        text="Мужа держат в части, хотя он ранен.",
        received_at=timezone.now() - dt.timedelta(days=5))
    note_add(actor=spb, case=second, text=NOTE_2)
    case_transition(actor=spb, case=second, transition="start_review")
    extension_request(actor=spb, case=second, days=10, reason="Ждём ответа из части.")
    document_add(actor=spb, case=second, doc_type="discharge_summary",
                 upload=SimpleUploadedFile("справка.pdf", pdf_bytes(MARKER),
                                           content_type="application/pdf"))
    commission = Commission.objects.create(office=other_office, name_ru="Комиссия",
                                           name_en="Commission")
    CommissionMember.objects.create(commission=commission, is_chair=True,
                                    user=make_user(Role.COMMISSION_MEMBER, other_office))
    referral_create(actor=spb, case=second, commission=commission,
                    summary="Ранен, числится в СОЧ.", question=QUESTION)
    return first, second


def person_search_ids(query: str) -> set[int]:
    """The people the staff search finds by ``query`` (cases.search)."""
    return set(_people(tokens.person_query(query)).values_list("pk", flat=True))


def _ciphertexts() -> dict[str, list[str]]:
    """{key id: [where]} for every ciphertext and key reference in the data database."""
    return _references()[0]


def _texts_of(case: Case) -> dict:
    return {
        "notes": sorted(n.text for n in CaseNote.objects.filter(case=case)),
        "events": sorted(str(sorted(e.texts.items())) for e in
                         CaseEvent.objects.filter(case=case) if e.texts),
        "documents": sorted(d.original_name for d in Document.objects.filter(case=case)),
        "extensions": sorted(x.reason for x in ExtensionRequest.objects.filter(case=case)),
        "referrals": sorted((r.summary, r.question) for r in
                            Referral.objects.filter(case=case)),
        "appeals": sorted(a.text for a in Appeal.objects.filter(case=case)),
    }


def test_a_merge_moves_everything_and_seals_it_under_the_kept_key(two_records, both):
    first, second = two_records
    keep, other = first.service_member, second.service_member
    other_key, keep_key = other.key_id, keep.key_id
    before = _texts_of(second)
    assert before["notes"] == [NOTE_2] and before["referrals"][0][1] == QUESTION
    assert other_key in _ciphertexts()  # control: his data is sealed with his own key

    result = person_merge(actor=both, keep=keep, other=other)

    assert (result.cases, result.applicant_links, result.appeals) == (1, 0, 0)
    assert result.keys_destroyed == 1 and result.documents == 1
    # His key is gone from the key store; nothing in the database refers to it any more.
    assert not DataKey.objects.filter(pk=other_key).exists()
    assert other_key not in _ciphertexts()
    crypto.cache_clear()
    second = Case.objects.get(pk=second.pk)
    assert second.service_member_id == keep.pk
    # Every text of the moved case reads back, now sealed under keep's key.
    assert _texts_of(second) == before
    document = Document.objects.get(case=second)
    assert MARKER.encode() in file_read(document)
    with connection.cursor() as cursor:
        cursor.execute("SELECT text FROM cases_casenote WHERE case_id = %s", [second.pk])
        assert crypto.text_key_id(cursor.fetchone()[0]) == keep_key
    # Keep's empty details are filled from the other record's; both units go to his
    # units over time, dated by the cases that stated them, and the newer case's unit
    # (the other record's, stated 5 days ago, not 60) is his current one.
    keep = Person.objects.get(pk=keep.pk)
    assert (keep.full_name, keep.birth_date, keep.phone, keep.unit) == (
        MEMBER, BIRTH, PHONE, "12345")
    assert keep.postal_address == "Псков, ул. Садовая, 3"
    units = {(u.unit, u.seen_on, u.case_id) for u in PersonUnit.objects.filter(person=keep)}
    assert units == {("в/ч 74814", timezone.localdate(first.received_at), first.pk),
                     ("12345", timezone.localdate(second.received_at), second.pk)}
    # The other record keeps only the link: blank, erased, found by no search.
    gone = Person.objects.get(pk=other.pk)
    assert gone.merged_into_id == keep.pk and gone.erased_at is not None
    assert (gone.full_name, gone.phone, gone.unit, gone.key_id, gone.search_keys) == (
        "", "", "", "", "")
    assert set(person_search_ids("Кузнецов Андрей")) == {keep.pk}
    # Found by what only the other record knew (his phone).
    assert person_search_ids("8 (916) 123 45 67") == {keep.pk}


def test_the_merge_is_audited_with_ids_and_counts_only(two_records, both):
    first, second = two_records
    keep, other = first.service_member, second.service_member
    person_merge(actor=both, keep=keep, other=other, reason="Кузнецов, тот же")
    entry = AuditEntry.objects.get(action="person.merged")
    assert entry.actor_id == both.pk and entry.object_id == str(keep.pk)
    assert entry.data == {"person": other.pk, "cases": 1, "applicants": 0, "appeals": 0,
                          "count": entry.data["count"]}
    assert entry.data["count"] >= 5
    assert "Кузнец" not in str(entry.data)


def test_refused_when_the_actor_cannot_see_every_case_of_both(two_records, staff):
    first, second = two_records
    keep, other = first.service_member, second.service_member
    # The Moscow caseworker sees the first case, not the St Petersburg one.
    for a, b in ((keep, other), (other, keep)):
        with pytest.raises(ApplicationError) as refused:
            person_merge(actor=staff[Role.CASEWORKER], keep=a, other=b)
        assert refused.value.code == "other_offices"
    assert Person.objects.get(pk=other.pk).merged_into_id is None
    assert DataKey.objects.filter(pk=other.key_id).exists()
    assert not AuditEntry.objects.filter(action="person.merged").exists()


@pytest.mark.parametrize("role", [Role.INTAKE_CLERK, Role.COMMISSION_MEMBER, Role.ANALYST,
                                  Role.ADMINISTRATOR])
def test_only_caseworkers_and_supervisors_merge(two_records, office, other_office,
                                                 make_user, role):
    first, second = two_records
    actor = make_user(role, office, other_office)
    with pytest.raises(ApplicationError) as refused:
        person_merge(actor=actor, keep=first.service_member, other=second.service_member)
    assert refused.value.code == "forbidden"


def test_the_refusal_speaks_both_languages(two_records, staff):
    from django.utils import translation

    first, second = two_records
    texts = {}
    for language in ("en", "ru"):
        with translation.override(language):
            with pytest.raises(ApplicationError) as refused:
                person_merge(actor=staff[Role.CASEWORKER], keep=first.service_member,
                             other=second.service_member)
            texts[language] = str(refused.value)
    assert "offices you do not work for" in texts["en"]
    assert "других отделениях" in texts["ru"]


def test_one_applicant_link_per_case_keeps_the_closer_relation(register, staff, office):
    """The mother registered twice, the second time on the same case as 'other relative':
    one link stays, 'mother'."""
    case = register()
    mother = case.appeals.get().submitter
    appeal_register(actor=staff[Role.INTAKE_CLERK], office=office, channel="letter",
                    text="Ещё раз о сыне.", relation="other_relative", attach_to=case,
                    applicant=PersonData(full_name="Иванова Анна", phone="+7 999 111-22-33"))
    second = CaseApplicant.objects.get(case=case, relation="other_relative").person
    assert CaseApplicant.objects.filter(case=case).count() == 2
    result = person_merge(actor=staff[Role.SUPERVISOR], keep=second, other=mother)
    links = list(CaseApplicant.objects.filter(case=case))
    assert [(link.person_id, link.relation) for link in links] == [(second.pk, "mother")]
    assert result.applicant_links == 1 and result.appeals == 1
    # Both appeals are hers, and both read (hers sealed again under the kept key).
    assert {a.submitter_id for a in case.appeals.all()} == {second.pk}
    assert all(a.text for a in Appeal.objects.filter(case=case))
    assert Person.objects.get(pk=second.pk).postal_address == "Москва, ул. Примерная, 1"


def test_erasing_after_a_merge_leaves_nothing_readable(two_records, both, staff, media):
    first, second = two_records
    keep, other = first.service_member, second.service_member
    keys = {keep.key_id, other.key_id}
    person_merge(actor=both, keep=keep, other=other)
    supervisor = staff[Role.SUPERVISOR]
    person_erase(actor=supervisor, person=Person.objects.get(pk=keep.pk),
                 reason_code="request")
    crypto.cache_clear()
    assert not DataKey.objects.filter(pk__in=keys).exists()
    # No ciphertext of either key is left, and every encrypted column of the affected
    # rows is blank or fails to open.
    refs = _ciphertexts()
    assert not keys & set(refs)
    for case in (first, second):
        assert CaseNote.objects.filter(case=case).exclude(text="").count() == 0
        assert all(not e.texts for e in CaseEvent.objects.filter(case=case))
        for document in Document.objects.filter(case=case):
            with pytest.raises(ApplicationError):
                file_read(document)
    with connection.cursor() as cursor:
        for model in (Person, PersonUnit, Case, CaseNote, CaseEvent, Document,
                      ExtensionRequest, Referral):
            for field in model._meta.concrete_fields:
                if not isinstance(field, _Encrypted):
                    continue
                cursor.execute(f'SELECT "{field.column}" FROM "{model._meta.db_table}"')  # noqa: S608
                for (value,) in cursor.fetchall():
                    if value and crypto.is_sealed_text(value):
                        assert crypto.text_key_id(value) not in keys, (model, field.name)
    assert set(PersonUnit.objects.values_list("unit", flat=True)) <= {""}


def test_linking_a_case_to_a_person_merges_an_orphaned_record(two_records, both):
    first, second = two_records
    keep, old = first.service_member, second.service_member
    old_key = old.key_id
    result = case_member_link(actor=both, case=second, person=keep)
    assert result.merged is not None and result.previous_id == old.pk
    assert Case.objects.get(pk=second.pk).service_member_id == keep.pk
    assert Person.objects.get(pk=old.pk).merged_into_id == keep.pk
    assert not DataKey.objects.filter(pk=old_key).exists()
    crypto.cache_clear()
    assert CaseNote.objects.get(case=second).text == NOTE_2
    assert AuditEntry.objects.filter(action="case.member_linked").count() == 1


def _one_more_case(person: Person, make_user, office) -> Case:
    """A case about ``person`` in ``office``, by his wife."""
    appeal_register(actor=make_user(Role.INTAKE_CLERK, office), office=office,
                    channel="letter", text="Снова о муже.", relation="wife",
                    attach_to=None, applicant=PersonData(full_name="Кузнецова Ольга"),
                    service_member=PersonData(full_name="Кузнецов Андрей"))
    case = Case.objects.order_by("-pk").first()
    Case.objects.filter(pk=case.pk).update(service_member=person)
    return case


def test_linking_one_case_of_a_record_with_others_reseals_that_case_only(
        two_records, both, register, make_user, other_office):
    first, second = two_records
    keep, old = first.service_member, second.service_member
    # The old record is the subject of one more case: it stays, with that case.
    _one_more_case(old, make_user, other_office)
    result = case_member_link(actor=both, case=second, person=keep)
    assert result.merged is None and result.resealed >= 4
    assert Person.objects.get(pk=old.pk).merged_into_id is None
    assert DataKey.objects.filter(pk=old.key_id).exists()
    crypto.cache_clear()
    with connection.cursor() as cursor:
        cursor.execute("SELECT text FROM cases_casenote WHERE case_id = %s", [second.pk])
        assert crypto.text_key_id(cursor.fetchone()[0]) == keep.key_id
    assert CaseNote.objects.get(case=second).text == NOTE_2
    assert MARKER.encode() in file_read(Document.objects.get(case=second))
    # The unit the case stated joins his units over time.
    assert {u.unit for u in PersonUnit.objects.filter(person=keep)} == {"в/ч 74814", "12345"}


def test_the_current_unit_is_the_newer_cases_whichever_record_is_kept(two_records, both):
    """September's letter says в/ч 74814, November's says 12345: after the merge he is in
    12345, whether the caseworker kept the older record or the newer."""
    first, second = two_records
    older, newer = first.service_member, second.service_member
    person_merge(actor=both, keep=newer, other=older)
    kept = Person.objects.get(pk=newer.pk)
    assert kept.unit == "12345"
    assert {u.unit for u in PersonUnit.objects.filter(person=kept)} == {"в/ч 74814", "12345"}


@pytest.mark.parametrize("days_ago, current", [(5, "12345"), (100, "в/ч 74814")])
def test_linking_a_case_makes_its_unit_current_if_it_is_the_newest(
        two_records, both, make_user, other_office, days_ago, current):
    """One case of another record linked to him: its unit joins his units over time and
    becomes his current one if the case is newer than all of his (his own is 60 days
    old)."""
    first, second = two_records
    keep, old = first.service_member, second.service_member
    _one_more_case(old, make_user, other_office)
    Case.objects.filter(pk=second.pk).update(
        received_at=timezone.now() - dt.timedelta(days=days_ago))
    result = case_member_link(actor=both, case=Case.objects.get(pk=second.pk), person=keep)
    assert result.merged is None
    assert Person.objects.get(pk=keep.pk).unit == current
    assert {u.unit for u in PersonUnit.objects.filter(person=keep)} == {"в/ч 74814", "12345"}


def test_a_merged_record_cannot_be_merged_again(two_records, both):
    first, second = two_records
    keep, other = first.service_member, second.service_member
    person_merge(actor=both, keep=keep, other=other)
    with pytest.raises(ApplicationError) as refused:
        person_merge(actor=both, keep=Person.objects.get(pk=keep.pk),
                     other=Person.objects.get(pk=other.pk))
    assert refused.value.code == "gone"
    with pytest.raises(ApplicationError) as refused:
        person_merge(actor=both, keep=keep, other=keep)
    assert refused.value.code == "same_person"


def test_a_merge_seals_the_urgency_reasons_under_the_kept_key(two_records, both):
    """Urgency (issue 19): which rules flagged the case is sealed with the member's key."""
    from casedesk.urgency.models import UrgencyFlag

    first, second = two_records
    keep, other = first.service_member, second.service_member
    UrgencyFlag.objects.create(case=second, reasons={"codes": ["suicide"]},
                               rulebook_version=second.rulebook_version)
    other_key = other.key_id

    person_merge(actor=both, keep=keep, other=other)

    assert other_key not in _ciphertexts()
    assert UrgencyFlag.objects.get(case=second).codes == ["suicide"]
