"""Deadlines recomputed at each transition, extensions, the sweep, case numbers."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection
from django.utils import timezone

from casedesk.accounts.roles import Role
from casedesk.cases.models import Case, CaseEvent, Deadline
from casedesk.cases.services import (
    case_assign,
    case_numbers_reserve,
    case_transition,
    deadline_extend,
    deadlines_sweep,
)
from casedesk.core.errors import ApplicationError
from casedesk.testing import at

D = dt.date.fromisoformat


def deadlines(case):
    return {
        d.rule: (d.starts_on, d.due_on, d.closed_on, d.met)
        for d in Deadline.objects.filter(case=case).order_by("id")
    }


def test_web_appeal_waits_for_registration_within_three_days(register):
    # 59-FZ art. 8 part 2: registered within three days of receipt. Received on Friday
    # 2026-03-06: the third day is Monday 2026-03-09, a day off in 2026 (International
    # Women's Day observed). The office's own term is not moved (roll_forward false,
    # deadlines.yaml roll_forward_basis): it ends on Monday 2026-03-09.
    case = register(channel="web", at=at("2026-03-06"))
    assert case.state == "received"
    assert deadlines(case) == {"registration": (D("2026-03-06"), D("2026-03-09"), None, None)}
    assert case.next_due_on == D("2026-03-09")


def test_registration_opens_the_forwarding_and_answer_deadlines(register, staff):
    case = register(channel="web", at=at("2026-03-06"))
    case = case_transition(actor=staff[Role.INTAKE_CLERK], case=case, transition="register",
                           at=at("2026-03-10"))
    assert deadlines(case) == {
        # 59-FZ art. 8 part 2: three days from receipt end on Mon Mar 9 (the day off moved
        # from Women's Day) and stay there (roll_forward false), so Tuesday was late.
        "registration": (D("2026-03-06"), D("2026-03-09"), D("2026-03-10"), False),
        # 59-FZ art. 8 part 3: forwarded within seven days of registration.
        "forwarding": (D("2026-03-10"), D("2026-03-17"), None, None),
        # 59-FZ art. 12 part 1: answered within 30 days of registration.
        "answer": (D("2026-03-10"), D("2026-04-09"), None, None),
    }
    assert case.next_due_on == D("2026-03-17")
    assert case.registered_at == at("2026-03-10")


def test_late_registration_is_recorded_as_missed(register, staff):
    case = register(channel="web", at=at("2026-03-02"))
    case = case_transition(actor=staff[Role.INTAKE_CLERK], case=case, transition="register",
                           at=at("2026-03-12"))
    assert deadlines(case)["registration"][2:] == (D("2026-03-12"), False)


def test_taking_into_review_closes_forwarding_and_answer_closes_everything(register, staff):
    case = register(at=at("2026-04-01"))  # a letter: registered on receipt
    case = case_transition(actor=staff[Role.CASEWORKER], case=case, transition="start_review",
                           at=at("2026-04-02"))
    # Taken into review, not forwarded: the forwarding rule did not apply.
    assert deadlines(case)["forwarding"][2:] == (D("2026-04-02"), None)
    # 30 days from 2026-04-01 is 2026-05-01, a public holiday: the term ends there all the
    # same (roll_forward false), so an answer on 05-05 is late.
    assert case.next_due_on == D("2026-05-01") == deadlines(case)["answer"][1]
    case = case_transition(actor=staff[Role.CASEWORKER], case=case, transition="answer",
                           outcome="explained", answer=1, at=at("2026-05-05"))
    assert deadlines(case)["answer"][2:] == (D("2026-05-05"), False)
    assert (case.next_due_on, case.deadline_flag) == (None, "ok")


def test_awaiting_information_does_not_stop_the_59fz_clock(register, staff):
    case = register(at=at("2026-04-01"))
    case = case_transition(actor=staff[Role.CASEWORKER], case=case, transition="start_review",
                           at=at("2026-04-01"))
    case = case_transition(actor=staff[Role.CASEWORKER], case=case,
                           transition="request_information", message="Пришлите выписку",
                           at=at("2026-04-05"))
    case = case_transition(actor=staff[Role.INTAKE_CLERK], case=case,
                           transition="information_received", at=at("2026-04-20"))
    assert deadlines(case)["answer"][1] == D("2026-05-01")  # Apr 1 + 30, a holiday: not moved


def test_reopening_starts_a_new_answer_deadline(register, staff):
    case = register(at=at("2026-04-01"))
    for name, extra in [("start_review", {}), ("answer", {"outcome": "rejected", "answer": 1}),
                        ("close", {})]:
        case = case_transition(actor=staff[Role.CASEWORKER], case=case, transition=name,
                               at=at("2026-04-10"), **extra)
    case = case_transition(actor=staff[Role.SUPERVISOR], case=case, transition="reopen",
                           reason="Новые документы", at=at("2026-06-01"))
    rows = list(case.deadlines.filter(rule="answer").order_by("id")
                .values_list("starts_on", "due_on", "closed_on"))
    # 59-FZ art. 12 part 1: Apr 1 + 30 = May 1, a holiday; the office's term is not moved.
    assert rows == [(D("2026-04-01"), D("2026-05-01"), D("2026-04-10")),
                    (D("2026-06-01"), D("2026-07-01"), None)]


def test_commissioner_procedure_uses_its_own_deadlines(register, office, staff):
    office.procedure = "commissioner_1fkz"
    office.save()
    case = register(at=at("2026-04-01"))
    # 1-FKZ art. 20: the applicant is told within ten days whether the complaint is accepted.
    assert set(deadlines(case)) == {"registration", "acceptance_notice"}
    # 04-11 is a Saturday; the Commissioner's own term is not moved to Monday.
    assert deadlines(case)["acceptance_notice"][1] == D("2026-04-11")


def test_filing_limit_passed_is_noted_in_the_timeline(register, office):
    office.procedure = "commissioner_1fkz"
    office.save()
    late = register(at=at("2026-04-01"), violation_known_on=D("2025-03-31"))
    on_time = register(at=at("2026-03-31"), violation_known_on=D("2025-03-31"))
    assert late.events.filter(kind="filing_limit_passed").get().data["last_day"] == "2026-03-31"
    assert not on_time.events.filter(kind="filing_limit_passed").exists()


class TestExtension:
    @pytest.fixture
    def case(self, register, staff):
        case = register(at=at("2026-04-01"))
        return case_transition(actor=staff[Role.CASEWORKER], case=case,
                               transition="start_review", at=at("2026-04-01"))

    def test_supervisor_extends_within_the_rule(self, case, staff):
        # 59-FZ art. 12 part 2: by no more than 30 days, with notice to the applicant.
        deadline = deadline_extend(actor=staff[Role.SUPERVISOR], case=case, days=20,
                                   reason="Запрошены документы из в/ч", at=at("2026-04-20"))
        assert deadline.due_on == D("2026-05-21")
        deadline = deadline_extend(actor=staff[Role.SUPERVISOR], case=case, days=10,
                                   reason="Ожидается ответ прокуратуры", at=at("2026-05-15"))
        # Apr 1 + 30 + 30 = Sun May 31: not moved to Monday (roll_forward false).
        assert (deadline.extension_days, deadline.due_on) == (30, D("2026-05-31"))
        assert Case.objects.get(pk=case.pk).next_due_on == D("2026-05-31")
        events = case.events.filter(kind="deadline_extended").order_by("id")
        assert [(e.public, e.data["days"], e.data["due_on"]) for e in events] == [
            (True, 20, "2026-05-21"), (True, 10, "2026-05-31")]

    @pytest.mark.parametrize("days", [31, 0, -5])
    def test_beyond_the_rule_is_refused(self, case, staff, days):
        with pytest.raises(ApplicationError) as refused:
            deadline_extend(actor=staff[Role.SUPERVISOR], case=case, days=days, reason="x",
                            at=at("2026-04-20"))
        assert refused.value.code == "extension_refused"
        assert "30" in str(refused.value)
        assert deadlines(case)["answer"][1] == D("2026-05-01")

    def test_a_second_extension_cannot_pass_the_total(self, case, staff):
        deadline_extend(actor=staff[Role.SUPERVISOR], case=case, days=25, reason="x",
                        at=at("2026-04-20"))
        with pytest.raises(ApplicationError) as refused:
            deadline_extend(actor=staff[Role.SUPERVISOR], case=case, days=6, reason="y",
                            at=at("2026-04-21"))
        assert refused.value.code == "extension_refused"
        assert case.deadlines.get(rule="answer").extension_days == 25

    def test_only_a_supervisor_extends_and_a_reason_is_required(self, case, staff):
        with pytest.raises(ApplicationError) as refused:
            deadline_extend(actor=staff[Role.CASEWORKER], case=case, days=5, reason="x")
        assert refused.value.code == "forbidden"
        with pytest.raises(ApplicationError) as refused:
            deadline_extend(actor=staff[Role.SUPERVISOR], case=case, days=5, reason=" ")
        assert refused.value.code == "missing_reason"

    def test_a_deadline_without_extension_is_refused(self, case, staff):
        with pytest.raises(ApplicationError) as refused:
            deadline_extend(actor=staff[Role.SUPERVISOR], case=case, rule="registration",
                            days=3, reason="x")
        assert refused.value.code == "no_open_deadline"


class TestSweep:
    def test_flags_once_and_is_idempotent(self, register, staff):
        due_soon = register(at=at("2026-04-01"))          # answer due 2026-05-01
        overdue = register(at=at("2026-03-01"))           # answer due 2026-03-31
        fine = register(at=at("2026-04-25"))              # answer due 2026-05-25
        for case in (due_soon, overdue, fine):
            case_transition(actor=staff[Role.CASEWORKER], case=case, transition="start_review",
                            at=case.received_at)
        first = deadlines_sweep(at=at("2026-05-01"))
        assert first == {"due_soon": 1, "overdue": 1, "cases": 2}
        assert deadlines_sweep(at=at("2026-05-01")) == {"due_soon": 0, "overdue": 0, "cases": 0}
        flags = dict(Case.objects.values_list("pk", "deadline_flag"))
        assert (flags[due_soon.pk], flags[overdue.pk], flags[fine.pk]) == (
            "due_soon", "overdue", "ok")
        assert list(CaseEvent.objects.filter(kind__startswith="deadline_")
                    .values_list("case_id", "kind")
                    .order_by("case_id")) == sorted([(overdue.pk, "deadline_overdue"),
                                                     (due_soon.pk, "deadline_due_soon")])
        # Days later the due-soon one is overdue: one more event, and only one.
        assert deadlines_sweep(at=at("2026-05-05"))["overdue"] == 1
        assert deadlines_sweep(at=at("2026-05-05"))["overdue"] == 0

    def test_command_prints_its_counts(self, register, staff, capsys):
        from django.core.management import call_command

        register(at=timezone.now() - dt.timedelta(days=40))
        call_command("sweep_deadlines")
        # Registered 40 days ago and never triaged: forwarding and answer are both late.
        assert "overdue: 2, cases changed: 1" in capsys.readouterr().out


class TestCaseNumbers:
    def test_format_and_sequence_per_office_and_year(self, register, office, other_office,
                                                     make_user):
        first = register(at=at("2026-01-10"))
        second = register(at=at("2026-02-10"))
        next_year = register(at=at("2027-01-10"))
        clerk = make_user(Role.INTAKE_CLERK, other_office)
        elsewhere = register(at=at("2026-03-01"), office=other_office, actor=clerk)
        assert [first.number, second.number, next_year.number, elsewhere.number] == [
            "MSK-2026-000001", "MSK-2026-000002", "MSK-2027-000001", "SPB-2026-000001"]

    # serialized_rollback: the flush after a transactional test would delete the regions
    # that a data migration loaded, and later tests on this worker need them.
    @pytest.mark.django_db(transaction=True, serialized_rollback=True)
    def test_concurrent_reservations_never_share_a_number(self, office):
        if connection.vendor != "postgresql":
            pytest.skip("row locks are what this test is about")
        results, errors = [], []

        def worker():
            try:
                for _ in range(20):
                    results.append(case_numbers_reserve(office=office, year=2026))
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
            finally:
                connection.close()

        threads = [threading.Thread(target=worker) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        assert sorted(results) == list(range(1, 81))


class TestAssign:
    def test_caseworker_takes_an_unassigned_case_supervisor_reassigns(self, register, staff,
                                                                       make_user, office):
        case = register()
        worker = staff[Role.CASEWORKER]
        case = case_assign(actor=worker, case=case, assignee=worker)
        assert case.assignee == worker
        other = make_user(Role.CASEWORKER, office)
        with pytest.raises(ApplicationError):
            case_assign(actor=worker, case=case, assignee=other)
        case = case_assign(actor=staff[Role.SUPERVISOR], case=case, assignee=other)
        assert case.assignee == other
        assert list(case.events.filter(kind="assigned").values_list("data", flat=True)) == [
            {"assignee": worker.pk, "previous": None},
            {"assignee": other.pk, "previous": worker.pk},
        ]

    def test_cannot_assign_to_someone_outside_the_office(self, register, staff, make_user,
                                                         other_office):
        outsider = make_user(Role.CASEWORKER, other_office)
        with pytest.raises(ApplicationError) as refused:
            case_assign(actor=staff[Role.SUPERVISOR], case=register(), assignee=outsider)
        assert refused.value.code == "bad_assignee"


def test_forwarding_in_time_is_met_and_withdrawal_owes_no_answer(register, staff):
    forwarded = register(at=at("2026-04-01"))
    forwarded = case_transition(actor=staff[Role.CASEWORKER], case=forwarded,
                                transition="forward", forwarded_to="Прокуратура",
                                at=at("2026-04-06"))
    assert deadlines(forwarded)["forwarding"][2:] == (D("2026-04-06"), True)
    assert deadlines(forwarded)["answer"][2:] == (D("2026-04-06"), True)
    withdrawn = register(at=at("2026-04-01"))
    withdrawn = case_transition(actor=staff[Role.CASEWORKER], case=withdrawn,
                                transition="withdraw", reason="Письмо заявителя",
                                at=at("2026-05-20"))
    assert deadlines(withdrawn)["answer"][2:] == (D("2026-05-20"), None)


def test_case_prepare_makes_every_row_of_a_new_case_without_a_query(
        office, django_assert_num_queries):
    """One way to open a case: ``case_prepare`` builds the case, its deadlines, its opening
    event (by ``cases.events``) and, given the appeal, the applicant's link; nothing is
    read or written until ``cases_open_many`` saves them all."""
    from casedesk.cases.models import Appeal
    from casedesk.cases.services import case_prepare, cases_open_many
    from casedesk.people.models import Person

    member, mother = Person(full_name="Иванов Пётр"), Person(full_name="Иванова Анна")
    member.save()
    mother.save()
    appeal = Appeal(channel="web", received_at=at("2026-03-06"), text="Текст",
                    submitter=mother)
    with django_assert_num_queries(0):
        opening = case_prepare(office=office, service_member=member, category="other",
                               received_at=at("2026-03-06"), channel="web",
                               appeal=appeal, relation="mother")
    assert opening.appeal is appeal and appeal.case is opening.case
    assert [(e.kind, e.public, e.data) for e in opening.events] == [
        ("case_opened", True, {"channel": "web"})]
    assert [(a.person, a.relation) for a in opening.applicants] == [(mother, "mother")]
    assert opening.deadlines
    [case] = cases_open_many(office=office, openings=[opening])
    assert case.number and Appeal.objects.get(case=case).text == "Текст"
    assert list(case.events.values_list("kind", flat=True)) == ["case_opened"]
    assert case.applicant_links.get().relation == "mother"
    assert Deadline.objects.filter(case=case).count() == len(opening.deadlines)
