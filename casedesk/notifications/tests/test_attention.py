"""Attention items: each kind goes to the right people of the right office, in the
transaction of its event, and is seen when the person opens the case."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from casedesk.accounts.roles import Role
from casedesk.cases.models import Case
from casedesk.cases.services import (
    case_assign,
    case_assign_inner,
    case_transition,
    deadlines_sweep,
)
from casedesk.intake.public import applicant_reply
from casedesk.notifications.attention import (
    attention_count,
    attention_for_cases,
    attention_list,
    attention_seen,
)
from casedesk.notifications.models import Attention, AttentionKind
from casedesk.review.models import Commission, CommissionMember
from casedesk.review.services import decision_sign, referral_create, session_schedule, vote_cast
from casedesk.testing import pdf_bytes


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def elsewhere(other_office, make_user):
    """Staff of another office: they never get an item about this office's cases."""
    return {role: make_user(role, other_office, username=f"spb-{role}")
            for role in (Role.SUPERVISOR, Role.CASEWORKER, Role.INTAKE_CLERK)}


@pytest.fixture
def second_supervisor(office, make_user):
    return make_user(Role.SUPERVISOR, office, username="supervisor-2")


def items(**filters) -> set[tuple[str, str]]:
    """(username, kind) of the items written."""
    return set(Attention.objects.filter(**filters)
               .values_list("user__username", "kind"))


def awaiting(register, staff, **kwargs):
    case = register(**kwargs)
    worker = staff[Role.CASEWORKER]
    case_transition(actor=worker, case=case, transition="start_review")
    return case_transition(actor=worker, case=case, transition="request_information",
                           message="Пришлите выписку из госпиталя.")


def reply(case, *, with_document=False):
    files = [(SimpleUploadedFile("vypiska.pdf", pdf_bytes(), "application/pdf"), "")] \
        if with_document else []
    return applicant_reply(case_id=case.pk, text="Выписку прилагаю.", attachments=files)


def test_the_assignee_alone_hears_that_the_applicant_answered_and_sent_a_document(
        register, staff, elsewhere, second_supervisor):
    case = awaiting(register, staff)
    case_assign(actor=staff[Role.SUPERVISOR], case=case, assignee=staff[Role.CASEWORKER])
    Attention.objects.all().delete()  # the assignment's own item is tested below
    reply(case, with_document=True)
    assert items(case=case) == {("caseworker", AttentionKind.ANSWERED),
                                ("caseworker", AttentionKind.DOCUMENT)}


def test_an_unassigned_case_goes_to_the_supervisors_of_its_office(
        register, staff, elsewhere, second_supervisor):
    case = awaiting(register, staff)
    reply(case, with_document=True)
    assert items(case=case) == {
        (who, kind) for who in ("supervisor", "supervisor-2")
        for kind in (AttentionKind.ANSWERED, AttentionKind.DOCUMENT)}


def test_the_supervisors_step_in_when_the_assignee_has_left(register, staff,
                                                            second_supervisor):
    case = awaiting(register, staff)
    case_assign(actor=staff[Role.SUPERVISOR], case=case, assignee=staff[Role.CASEWORKER])
    staff[Role.CASEWORKER].is_active = False
    staff[Role.CASEWORKER].save()
    reply(case)
    assert items(case=case, kind=AttentionKind.ANSWERED) == {
        ("supervisor", AttentionKind.ANSWERED), ("supervisor-2", AttentionKind.ANSWERED)}


def test_the_documents_of_a_case_not_yet_registered_are_not_items(submit, staff, elsewhere):
    """A case not yet registered is new material as a whole, read at registration."""
    case = Case.objects.get(number=submit().case_number)
    reply(case, with_document=True)
    assert not Attention.objects.filter(case=case, kind=AttentionKind.DOCUMENT).exists()


def test_assigned_to_me_goes_to_the_new_assignee_not_to_someone_taking_a_case(
        register, staff, elsewhere, second_supervisor):
    given, taken = register(), register()
    case_assign(actor=staff[Role.SUPERVISOR], case=given, assignee=staff[Role.CASEWORKER])
    case_assign(actor=staff[Role.CASEWORKER], case=taken, assignee=staff[Role.CASEWORKER])
    assert items(case=given) == {("caseworker", AttentionKind.ASSIGNED)}
    assert items(case=taken) == set()
    case_assign(actor=staff[Role.SUPERVISOR], case=given, assignee=None)
    assert items(case=given) == {("caseworker", AttentionKind.ASSIGNED)}  # nothing new


def test_deadlines_go_to_the_assignee_or_to_supervisors_and_clerks_of_a_received_case(
        register, submit, staff, elsewhere, second_supervisor):
    received = Case.objects.get(number=submit().case_number)  # a web appeal, unregistered
    mine = register()
    case_assign(actor=staff[Role.CASEWORKER], case=mine, assignee=staff[Role.CASEWORKER])
    later = timezone.now() + dt.timedelta(days=45)
    deadlines_sweep(at=later)
    assert items(case=received) == {
        (who, AttentionKind.OVERDUE) for who in ("supervisor", "supervisor-2", "intake_clerk")}
    assert items(case=mine) == {("caseworker", AttentionKind.OVERDUE)}
    count = Attention.objects.count()
    deadlines_sweep(at=later)  # the same day again: nothing twice
    assert Attention.objects.count() == count


def test_due_soon_is_an_item_too(register, staff):
    case = register()
    case_assign(actor=staff[Role.CASEWORKER], case=case, assignee=staff[Role.CASEWORKER])
    due = min(d.due_on for d in case.deadlines.filter(closed_on__isnull=True))
    deadlines_sweep(at=timezone.now() + dt.timedelta(days=(due - timezone.localdate()).days - 1))
    assert items(case=case) == {("caseworker", AttentionKind.DUE_SOON)}


def test_a_signed_decision_goes_to_the_assignee(register, staff, office, make_user, elsewhere):
    commission = Commission.objects.create(office=office, name_ru="Комиссия",
                                           name_en="Commission")
    members = [make_user(Role.COMMISSION_MEMBER, office, username=f"member{i}")
               for i in range(3)]
    for i, user in enumerate(members):
        CommissionMember.objects.create(commission=commission, user=user, is_chair=i == 0)
    case = register()
    worker = staff[Role.CASEWORKER]
    case_transition(actor=worker, case=case, transition="start_review")
    case_assign(actor=worker, case=case, assignee=worker)
    referral = referral_create(actor=worker, case=case, commission=commission,
                               summary="Запись о СОЧ при нахождении в госпитале.",
                               question="Рекомендовать исправить запись?")
    session = session_schedule(actor=members[0], commission=commission,
                               starts_at=timezone.now() - dt.timedelta(minutes=5))
    item = session.items.get(referral=referral)
    for member in members:
        vote_cast(actor=member, item=item, choice="uphold", reason="Подтверждено выпиской")
    decision_sign(actor=members[0], item=item, outcome="uphold",
                  reasoning="Доводы подтверждены выпиской.")
    assert items(case=case) == {("caseworker", AttentionKind.DECISION)}


def test_an_item_rolls_back_with_its_event(register, staff):
    case = register()
    with pytest.raises(RuntimeError), transaction.atomic():
        # The inner variant: the durable case_assign cannot run inside this block.
        case_assign_inner(actor=staff[Role.SUPERVISOR], case=case,
                          assignee=staff[Role.CASEWORKER])
        assert Attention.objects.filter(case=case).count() == 1  # written with the event
        raise RuntimeError("the request failed after the assignment")
    assert not Attention.objects.exists()


def test_opening_the_case_sees_its_items_for_that_person_only(
        register, staff, second_supervisor):
    first, second = awaiting(register, staff), awaiting(register, staff)
    reply(first)
    reply(second)
    boss = staff[Role.SUPERVISOR]
    assert attention_count(user=boss) == 2
    assert attention_for_cases(user=boss, case_ids=[first.pk, second.pk]) == {
        first.pk: [AttentionKind.ANSWERED], second.pk: [AttentionKind.ANSWERED]}
    assert attention_seen(user=boss, case=first) == 1
    assert attention_count(user=boss) == 1
    assert [item["case"].pk for item in attention_list(user=boss)] == [second.pk]
    assert attention_count(user=second_supervisor) == 2  # the other supervisor's stay


def test_people_who_read_no_case_files_have_no_items(staff):
    for role in (Role.ANALYST, Role.ADMINISTRATOR):
        assert attention_count(user=staff[role]) == 0
