"""Every change to cases goes through these functions (see STYLE.md)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from casedesk import rulebook
from casedesk.accounts.models import Office
from casedesk.audit.services import audit_defer, audit_record, audit_record_many
from casedesk.core import bulk, hooks
from casedesk.core.errors import ApplicationError
from casedesk.core.states import CaseState
from casedesk.deadlines.rules import ExtensionRefused, check_extension, status

from . import deadline_sync, events, incoming, permissions
from .models import (
    Appeal,
    Case,
    CaseApplicant,
    CaseEvent,
    CaseNote,
    CaseNumberCounter,
    Deadline,
    DeadlineFlag,
    ForwardBody,
)
from .workflow import (
    ANSWER,
    FORWARDED_TO,
    GROUND,
    MESSAGE,
    OUTCOME,
    REASON,
    TRANSITIONS,
    Outcome,
)

MAX_TEXT = 5000


def _staff(actor):
    """The staff user behind an action, or None for the applicant and the system."""
    return None if isinstance(actor, permissions.ApplicantActor) else actor


def _kind(actor) -> str | None:
    if isinstance(actor, permissions.ApplicantActor):
        return "applicant"
    return None if actor is not None else "system"


def local_date(at: dt.datetime) -> dt.date:
    return timezone.localdate(at) if timezone.is_aware(at) else at.date()


def format_case_number(office_code: str, year: int, sequence: int) -> str:
    return f"{office_code}-{year}-{sequence:06d}"


def case_numbers_reserve(*, office: Office, year: int, count: int = 1) -> int:
    """Reserve ``count`` consecutive sequence numbers; return the first. Concurrent callers
    wait on the counter row's lock, so no number is ever given twice."""
    # No savepoint of its own: inside the caller's transaction the counter stays locked
    # until the commit, so the statements from here on are kept few.
    with transaction.atomic(savepoint=False):
        counters = CaseNumberCounter.objects.select_for_update()
        counter = counters.filter(office=office, year=year).first()
        if counter is None:  # the office's first case of the year
            CaseNumberCounter.objects.get_or_create(office=office, year=year)
            counter = counters.get(office=office, year=year)
        first = counter.last + 1
        counter.last += count
        counter.save(update_fields=["last"])
    return first


def case_open(
    *,
    actor,
    office: Office,
    service_member,
    category: str,
    subcategory: str = "",
    received_at: dt.datetime,
    channel: str,
    violation_known_on: dt.date | None = None,
    access_code_hash: str = "",
) -> Case:
    """A new case in state ``received`` with its registration deadline, without an appeal
    (scripts and tests; intake opens its cases with their appeals through
    ``case_prepare`` and ``cases_open_many``). Runs in the caller's transaction."""
    opening = case_prepare(
        office=office, service_member=service_member, category=category,
        subcategory=subcategory, received_at=received_at,
        violation_known_on=violation_known_on, access_code_hash=access_code_hash,
        channel=channel, actor=actor)
    return cases_open_many(office=office, openings=[opening])[0]


@dataclass
class CaseOpening:
    """A case checked and worked out but not saved yet (``case_prepare``): every row a
    new case needs, all unsaved: the case, its opening deadlines and the rulebook they came
    from, its opening event (``events``), and, when it opens with an appeal, the appeal
    and the applicant's link to the case."""

    case: Case
    deadlines: list[Deadline]
    book: rulebook.Rulebook
    events: list[CaseEvent] = field(default_factory=list)
    appeal: Appeal | None = None
    applicants: list[CaseApplicant] = field(default_factory=list)


def case_prepare(
    *,
    office: Office,
    service_member,
    category: str,
    subcategory: str = "",
    received_at: dt.datetime,
    violation_known_on: dt.date | None = None,
    access_code_hash: str = "",
    channel: str = "",
    actor=None,
    appeal: Appeal | None = None,
    relation: str = "",
) -> CaseOpening:
    """Check a new case and work out every row of it but its number: no query, no write
    (``cases_open_many`` saves them). ``channel`` and ``actor``: of the opening event
    (``cases_open_many`` builds it when no channel is given here). ``appeal``: the unsaved
    appeal that opens the case (its submitter unsaved too, or saved); with it comes the
    submitter's link to the case with ``relation``."""
    book = rulebook.current(local_date(received_at))
    classification_check(book, category, subcategory)
    if office.procedure not in book.procedures:
        raise ApplicationError(
            "unknown_procedure", _("The office's procedure is not in the rulebook in force.")
        )
    year = timezone.localtime(received_at).year if timezone.is_aware(received_at) else \
        received_at.year
    case = Case(
        office=office,
        year=year,
        state=CaseState.RECEIVED,
        category=category,
        subcategory=subcategory,
        service_member=service_member,
        rulebook_version=book.version,
        procedure=office.procedure,
        received_at=received_at,
        violation_known_on=violation_known_on,
        access_code_hash=access_code_hash,
    )
    deadlines = case_opening_deadlines(case)
    deadline_sync.refresh_case(case, deadlines, book=book, today=local_date(received_at))
    opening = CaseOpening(case, deadlines, book)
    if channel:
        opening.events = [events.case_opened_new(case, at=received_at, actor=actor,
                                                 channel=channel)]
    if appeal is not None:
        appeal.case = case
        opening.appeal = appeal
        opening.applicants = [CaseApplicant(case=case, person=appeal.submitter,
                                            relation=relation)]
    return opening


def classification_check(book: rulebook.Rulebook, category: str, subcategory: str) -> None:
    """Refuse a category or sub-category the rulebook does not have."""
    if category not in book.categories:
        raise ApplicationError("unknown_category", _("Choose a category from the list."))
    if subcategory and subcategory not in {
            s.code for s in book.categories[category].subcategories}:
        raise ApplicationError("unknown_subcategory", _("Choose a sub-category from the list."))


def cases_open_many(*, actor=None, office: Office, openings: list[CaseOpening],
                    channel: str | None = None, before_numbers=None) -> list[Case]:
    """The one writer of new cases: save prepared cases of one office (``case_prepare``;
    their service members and submitters saved, or given ids by ``bulk.ids_reserve``) with
    consecutive numbers and every row ``case_prepare`` made (events, deadlines, applicant
    links, the appeals), in a few statements whatever their count: one case and a thousand
    differ only in batch size. Runs in the caller's transaction, which holds the office's
    number counter from the reservation until it commits. ``actor`` and ``channel``: of
    the opening events ``case_prepare`` was not given a channel for.

    ``before_numbers(cases)`` writes the caller's rows that refer to the cases or their
    appeals. On PostgreSQL the case and appeal ids are drawn from their sequences first,
    so that those rows, the events, the deadlines and the links are inserted before the
    counter is locked (foreign keys are checked at commit): the lock then covers only the
    cases themselves and the appeals (the search trigger on appeals reads the case)."""
    for opening in openings:
        if opening.case.office_id != office.pk:
            raise ValueError("cases_open_many: every case must belong to the office")
        if not opening.events:
            opening.events = [events.case_opened_new(
                opening.case, at=opening.case.received_at, actor=actor,
                channel=channel or "")]
    cases = [opening.case for opening in openings]
    appeals = [opening.appeal for opening in openings if opening.appeal is not None]
    early = connection.vendor == "postgresql"
    # The caller's transaction (none of its own: no savepoint); one when called outside
    # any (a script), for the foreign keys checked at the commit.
    with transaction.atomic(savepoint=False):
        if early:
            bulk.ids_reserve([(Case, [case for case in cases if case.pk is None]),
                              (Appeal, [appeal for appeal in appeals if appeal.pk is None])])
            _opening_rows(openings, before_numbers)
        by_year: dict[int, list[Case]] = {}
        for case in cases:
            by_year.setdefault(case.year, []).append(case)
        for year, of_year in sorted(by_year.items()):
            first = case_numbers_reserve(office=office, year=year, count=len(of_year))
            for offset, case in enumerate(of_year):
                case.sequence = first + offset
                case.number = format_case_number(office.code, year, case.sequence)
        bulk.create(cases)
        if not early:
            _opening_rows(openings, before_numbers)
        bulk.create(appeals)  # after the cases: the search trigger on appeals reads them
        for opening in openings:
            _check_filing_limit(opening.case, opening.book, opening.case.received_at)
    return cases


def _opening_rows(openings: list[CaseOpening], before_numbers) -> None:
    rows: dict[type, list] = {CaseEvent: [], Deadline: [], CaseApplicant: []}
    for opening in openings:
        for row in (*opening.events, *opening.deadlines, *opening.applicants):
            row.case = opening.case  # its id, drawn or saved by now
            rows[type(row)].append(row)
    for model_rows in rows.values():
        bulk.create(model_rows, ids=False)  # not read again: the case has them
    if before_numbers is not None:
        before_numbers([opening.case for opening in openings])


def case_opening_deadlines(case: Case) -> list[Deadline]:
    """The deadlines ``case_open`` starts a case with (unsaved): worked out from the case,
    not read, so known before the case is saved, and without a query afterwards."""
    return deadline_sync.plan_new(case, today=local_date(case.received_at), anchor="received")


def _check_filing_limit(case: Case, book: rulebook.Rulebook, at: dt.datetime) -> None:
    from casedesk.deadlines.rules import filing_limit_date

    code = book.procedures[case.procedure].filing_limit
    if not code or case.violation_known_on is None:
        return
    last_day = filing_limit_date(book.filing_limits[code].period, known_on=case.violation_known_on)
    if local_date(at) > last_day:
        events.filing_limit_passed(case, at=at, limit=code, last_day=last_day)


class _Day:
    """A date shown in a message in the language active when the message is shown."""

    def __init__(self, day: dt.date) -> None:
        self.day = day

    def __str__(self) -> str:
        from django.utils.formats import date_format

        return date_format(self.day, "DATE_FORMAT")


def _text(value: str, field: str) -> str:
    value = (value or "").strip()
    if len(value) > MAX_TEXT:
        raise ApplicationError(
            "too_long", _("The text is too long (at most %(max)s characters)."), max=MAX_TEXT
        )
    return value


def case_transition(
    *,
    actor,
    case: Case,
    transition: str,
    reason: str = "",
    message: str = "",
    outcome: str = "",
    forwarded_to: str = "",
    forward_body: str = "",
    ground: str = "",
    at: dt.datetime | None = None,
    answer: int | None = None,
) -> Case:
    """Move ``case`` along ``transition`` of the workflow table, or refuse and change
    nothing. ``forward`` takes the kind of body (``forward_body``, a ``ForwardBody`` code;
    "other" when only a name is given) and its name and details (``forwarded_to``, needed
    for "other"), stored encrypted. ``answer``: the id of the signed answer the ``answer``
    move gives; only ``casedesk.letters.answers.answer_sign`` makes that move.

    An outermost action: its own durable transaction, so calling it inside another one
    raises ``RuntimeError``. An action that moves a case as one step of its own work
    calls ``case_transition_inner``."""
    audits: list[dict] = []
    with transaction.atomic(durable=True):
        moved = case_transition_inner(
            actor=actor, case=case, transition=transition, reason=reason, message=message,
            outcome=outcome, forwarded_to=forwarded_to, forward_body=forward_body,
            ground=ground, at=at, answer=answer, audits=audits)
        audit_record_many(audits)  # last: the chain stays locked until the commit
    return moved


def case_transition_inner(
    *,
    actor,
    case: Case,
    transition: str,
    reason: str = "",
    message: str = "",
    outcome: str = "",
    forwarded_to: str = "",
    forward_body: str = "",
    ground: str = "",
    at: dt.datetime | None = None,
    answer: int | None = None,
    audits: list[dict] | None = None,
) -> Case:
    """``case_transition`` in the caller's transaction (which must be open: the case row
    stays locked until it commits). Its audit entry is appended to ``audits`` for the
    caller to write last (``audit_record_many``); ``audits=None`` writes it at once."""
    spec = TRANSITIONS.get(transition)
    if spec is None:
        raise ApplicationError("unknown_transition", _("This action does not exist."))
    given = {
        REASON: _text(reason, REASON),
        MESSAGE: _text(message, MESSAGE),
        OUTCOME: outcome.strip(),
        FORWARDED_TO: _text(forwarded_to, FORWARDED_TO),
        GROUND: ground.strip(),
        ANSWER: answer if isinstance(answer, int) and answer > 0 else None,
    }
    forward_body = (forward_body or "").strip()
    if transition == "forward":
        if not forward_body and given[FORWARDED_TO]:
            forward_body = ForwardBody.OTHER
        if forward_body and forward_body not in ForwardBody.values:
            raise ApplicationError("unknown_body", _("Choose the body from the list."))
        if forward_body and forward_body != ForwardBody.OTHER and not given[FORWARDED_TO]:
            given[FORWARDED_TO] = str(ForwardBody(forward_body).label)
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        # The time of the move is taken once the row is locked, so that moves on one case
        # get their times in the order they happen (a request that waited for the lock is
        # later than the one it waited for).
        at = at or timezone.now()
        permissions.require(actor, locked, spec.roles)
        if locked.state not in spec.sources:
            raise ApplicationError(
                "illegal_transition",
                _("A case that is “%(state)s” cannot be moved this way (“%(action)s”)."),
                state=CaseState(locked.state).label,
                action=spec.label,
            )
        missing = [name for name in spec.requires if not given[name]]
        if missing:
            raise ApplicationError(
                f"missing_{missing[0]}", REQUIRED_MESSAGES[missing[0]]
            )
        book = rulebook.get(locked.rulebook_version)
        details = {name: given[name] for name in spec.requires}
        if FORWARDED_TO in spec.requires:
            details["forward_body"] = forward_body
        if OUTCOME in spec.requires and given[OUTCOME] not in Outcome.values:
            raise ApplicationError("unknown_outcome", _("Choose an outcome from the list."))
        # A ground of the rulebook (59-FZ art. 11): required to leave a case unanswered,
        # optional when forwarding (an anonymous report of an offence, art. 11 part 1).
        if GROUND in spec.requires or (transition == "forward" and given[GROUND]):
            ground_rule = _ground(book, given[GROUND], transition=transition, actor=actor)
            details["ground"] = ground_rule.code
            details["citation"] = ground_rule.citation
            locked.unanswered_ground = ground_rule.code
        source = locked.state
        locked.state = spec.target
        if transition == "register":
            locked.registered_at = at
            incoming.incoming_numbers_give(case=locked, at=at)  # вх. № of its appeals
        if OUTCOME in spec.requires and transition == "answer":
            locked.outcome = given[OUTCOME]
        if FORWARDED_TO in spec.requires:
            locked.forward_body = forward_body
            locked.forwarded_to = given[FORWARDED_TO]
        if spec.target == CaseState.CLOSED:
            locked.closed_at = at
        if transition == "reopen":
            locked.closed_at = None
            locked.outcome = locked.forwarded_to = locked.unanswered_ground = ""
            locked.forward_body = ""
        events.state_changed(
            locked, at=at, actor=actor, transition=transition, source=source,
            target=spec.target, public=spec.public, **details,
        )
        deadline_sync.sync(locked, today=local_date(at), anchor=spec.anchor)
        locked.save()
        hooks.emit("case_moved", case_id=locked.pk, transition=transition)
        audit_defer(audits, action="case.transition", actor=_staff(actor),
                    actor_kind=_kind(actor), object_type="case", object_id=locked.pk,
                    data={"transition": transition, "source": source,
                          "target": str(spec.target)})
    return locked


def _ground(book, code: str, *, transition: str, actor):
    """The rulebook's ground ``code`` for ``transition``, or ApplicationError: a forward
    ground (art. 11 part 1) only forwards, the others only leave unanswered, and a ground
    the head decides (art. 11 part 5) is applied by a supervisor only."""
    ground_rule = book.grounds.get(code)
    if ground_rule is None:
        raise ApplicationError(
            "unknown_ground", _("Only the lawful grounds of the rulebook can be used.")
        )
    if ground_rule.forward and transition != "forward":
        raise ApplicationError(
            "ground_forwards",
            _("On this ground the appeal is forwarded to the competent state body: use "
              "“Forward to the competent body” and choose the ground there."))
    if transition == "forward" and not ground_rule.forward:
        raise ApplicationError(
            "ground_not_forward", _("This ground does not forward an appeal."))
    if ground_rule.head_decides and getattr(actor, "role", None) not in \
            permissions.roles_of("ground_head"):
        raise ApplicationError(
            "ground_head_decides",
            _("On this ground the head of the office decides: a supervisor applies it."))
    return ground_rule


REQUIRED_MESSAGES = {
    REASON: _("Give the reason."),
    MESSAGE: _("Write the message to the applicant."),
    OUTCOME: _("Choose the outcome."),
    FORWARDED_TO: _("Choose the body the appeal is forwarded to and give its name."),
    GROUND: _("Choose the lawful ground."),
    ANSWER: _("A case is answered by signing the answer on the case page."),
}


def case_reclassify(*, actor, case: Case, category: str, subcategory: str = "",
                    procedure: str = "", reason: str, at: dt.datetime | None = None) -> Case:
    """Correct the case's category and sub-category, and its procedure (empty: keep it),
    under the rulebook the case was opened with, with a reason: an internal event and an
    audit entry. A new procedure brings its deadlines (``deadline_sync.procedure_changed``).
    The statistics count every case under its current category."""
    reason = _text(reason, REASON)
    if not reason:
        raise ApplicationError("missing_reason", REQUIRED_MESSAGES[REASON])
    with transaction.atomic(durable=True):
        locked = Case.objects.select_for_update().get(pk=case.pk)
        at = at or timezone.now()  # under the lock, as in case_transition
        permissions.require(actor, locked, "reclassify")
        book = rulebook.get(locked.rulebook_version)
        procedure = procedure or locked.procedure
        classification_check(book, category, subcategory)
        if procedure not in book.procedures:
            raise ApplicationError("unknown_procedure",
                                   _("Choose a procedure of the case's rulebook."))
        fields = ("category", "subcategory", "procedure")
        before = {name: getattr(locked, name) for name in fields}
        after = {"category": category, "subcategory": subcategory, "procedure": procedure}
        if before == after:
            raise ApplicationError("unchanged",
                                   _("The case already has this category and procedure."))
        locked.category, locked.subcategory, locked.procedure = \
            category, subcategory, procedure
        events.reclassified(locked, at=at, actor=actor, reason=reason, before=before,
                            after=after)
        if before["procedure"] != procedure:
            deadline_sync.procedure_changed(locked, today=local_date(at))
        locked.save()
        hooks.emit("case_reclassified", case_id=locked.pk)
        audit_record(action="case.reclassify", actor=actor, object_type="case",
                     object_id=locked.pk,
                     data={**after, **{f"previous_{k}": v for k, v in before.items()}})
    return locked


def deadline_extend(
    *, actor, case: Case, rule: str = "answer", days: int, reason: str,
    at: dt.datetime | None = None, request_id: int | None = None,
) -> Deadline:
    """Extend an open deadline within what its rule allows, only while it has not passed
    (a missed deadline stays missed: its due date, flag and history are not rewritten);
    the event is public. The applicant's notice is ``letters.notices``' part.

    An outermost action (durable); inside another action use ``deadline_extend_inner``."""
    audits: list[dict] = []
    with transaction.atomic(durable=True):
        deadline = deadline_extend_inner(actor=actor, case=case, rule=rule, days=days,
                                         reason=reason, at=at, request_id=request_id,
                                         audits=audits)
        audit_record_many(audits)
    return deadline


def deadline_extend_inner(
    *, actor, case: Case, rule: str = "answer", days: int, reason: str,
    at: dt.datetime | None = None, request_id: int | None = None,
    audits: list[dict] | None = None,
) -> Deadline:
    """``deadline_extend`` in the caller's transaction; its audit entry goes to ``audits``
    (see ``case_transition_inner``)."""
    reason = _text(reason, REASON)
    if not reason:
        raise ApplicationError("missing_reason", REQUIRED_MESSAGES[REASON])
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        at = at or timezone.now()  # under the lock, as in case_transition
        permissions.require(actor, locked, "deadline_extend")
        deadline = locked.deadlines.filter(rule=rule, closed_on__isnull=True).first()
        if deadline is None:
            raise ApplicationError("no_open_deadline", _("This deadline is not running."))
        book = rulebook.get(locked.rulebook_version)
        today = local_date(at)
        if today > deadline.due_on or deadline.flag == DeadlineFlag.OVERDUE:
            raise ApplicationError(
                "deadline_passed",
                _("The deadline passed on %(date)s: a missed deadline cannot be extended."),
                date=_Day(deadline.due_on))
        try:
            total = check_extension(book.rules[rule], already=deadline.extension_days,
                                    requested=int(days))
        except ExtensionRefused:
            raise ApplicationError(
                "extension_refused",
                _("The rulebook allows at most %(max)s days of extension for this deadline."),
                max=book.rules[rule].max_extension_days,
            ) from None
        deadline.extension_days = total
        deadline.due_on = deadline_sync.recompute_due(deadline, book, today)
        deadline.flag = str(status(deadline.due_on, today, due_soon_days=book.due_soon_days))
        deadline.save()
        events.deadline_extended(locked, at=at, actor=actor, rule=rule, days=int(days),
                                 reason=reason, due_on=deadline.due_on, request_id=request_id)
        deadline_sync.refresh_case(
            locked, list(locked.deadlines.filter(closed_on__isnull=True)), book=book, today=today
        )
        locked.save()
        audit_defer(audits, action="deadline.extend", actor=actor, object_type="case",
                    object_id=locked.pk, data={"rule": rule, "days": int(days)})
    return deadline


def case_assign(*, actor, case: Case, assignee, at: dt.datetime | None = None) -> Case:
    """Give the case to a caseworker of its office (or take it back with ``None``).
    Caseworkers may take an unassigned case for themselves; supervisors assign anyone.
    An outermost action (durable); inside another action use ``case_assign_inner``."""
    audits: list[dict] = []
    with transaction.atomic(durable=True):
        locked = case_assign_inner(actor=actor, case=case, assignee=assignee, at=at,
                                   audits=audits)
        audit_record_many(audits)
    return locked


def case_assign_inner(*, actor, case: Case, assignee, at: dt.datetime | None = None,
                      audits: list[dict] | None = None) -> Case:
    """``case_assign`` in the caller's transaction; its audit entry goes to ``audits``
    (see ``case_transition_inner``)."""
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        at = at or timezone.now()  # under the lock, as in case_transition
        permissions.require(actor, locked, "case_take")
        if not permissions.can(actor, "assign") and not (
            assignee == actor and locked.assignee_id is None
        ):
            raise ApplicationError(
                "forbidden", _("Only a supervisor can assign cases to other people.")
            )
        if assignee is not None and (
            assignee.role not in permissions.roles_of("case_take")
            or locked.office_id not in permissions.office_ids(assignee)
            or not assignee.is_active
        ):
            raise ApplicationError(
                "bad_assignee", _("The case can only go to a caseworker of its office.")
            )
        previous = locked.assignee_id
        locked.assignee = assignee
        events.assigned(locked, at=at, actor=actor,
                        assignee_id=assignee.pk if assignee else None, previous_id=previous)
        locked.save()
        audit_defer(audits, action="case.assign", actor=actor, object_type="case",
                    object_id=locked.pk,
                    data={"assignee": assignee.pk if assignee else None, "previous": previous})
    return locked


def note_add(*, actor, case: Case, text: str, at: dt.datetime | None = None) -> CaseNote:
    """An internal note on the case (never shown to the applicant). An outermost action
    (durable)."""
    text = _text(text, "note")
    if not text:
        raise ApplicationError("missing_note", _("Write the note."))
    with transaction.atomic(durable=True):
        locked = Case.objects.select_for_update().get(pk=case.pk)
        at = at or timezone.now()  # under the lock, as in case_transition
        permissions.require(actor, locked, "note")
        note = CaseNote.objects.create(case=locked, author=actor, text=text)
        events.note_added(locked, at=at, actor=actor, note_id=note.pk)
        audit_record(action="note.added", actor=actor, object_type="note", object_id=note.pk,
                     data={"case": locked.pk})
    return note


def cases_bulk_assign(*, actor, case_ids: list[int], assignee) -> int:
    """A supervisor gives several cases to one caseworker at once: all or none."""
    if not case_ids:
        raise ApplicationError("nothing_selected", _("Select at least one case."))
    if not permissions.can(actor, "assign"):
        raise ApplicationError("forbidden", _("Only a supervisor can reassign cases."))
    audits: list[dict] = []
    with transaction.atomic(durable=True):
        cases = list(Case.objects.filter(pk__in=case_ids).order_by("pk"))
        if len(cases) != len(set(case_ids)):
            raise ApplicationError("not_found", _("No such case."))
        for case in cases:
            case_assign_inner(actor=actor, case=case, assignee=assignee, audits=audits)
        audit_record_many(audits)  # one lock of the chain for all of them, last
    return len(cases)


def deadlines_sweep(*, at: dt.datetime | None = None, batch: int = 2000) -> dict[str, int]:
    """Flag open deadlines that became due soon or overdue, once each, with a timeline
    event. Running it again the same day changes nothing."""
    at = at or timezone.now()
    today = local_date(at)
    counts = {"due_soon": 0, "overdue": 0, "cases": 0}
    books = rulebook.versions()
    horizon = today + dt.timedelta(days=max(b.due_soon_days for b in books.values()))
    candidates = (
        Deadline.objects.filter(closed_on__isnull=True)
        .filter(due_on__lte=horizon)
        .exclude(flag=DeadlineFlag.OVERDUE)
        .values_list("case_id", flat=True)
        .distinct()
    )
    case_ids = list(candidates)
    for start in range(0, len(case_ids), batch):
        chunk = case_ids[start:start + batch]
        with transaction.atomic(durable=True):
            for case in Case.objects.select_for_update().filter(pk__in=chunk):
                if _sweep_case(case, today=today, at=at, counts=counts):
                    counts["cases"] += 1
    return counts


def _sweep_case(case: Case, *, today: dt.date, at: dt.datetime, counts: dict) -> bool:
    book = rulebook.get(case.rulebook_version)
    open_deadlines = list(case.deadlines.filter(closed_on__isnull=True))
    changed = False
    for deadline in open_deadlines:
        if deadline.pauses and deadline.pauses[-1][1] is None:
            deadline.due_on = deadline_sync.recompute_due(deadline, book, today)
        flag = str(status(deadline.due_on, today, due_soon_days=book.due_soon_days))
        if flag != deadline.flag and flag != DeadlineFlag.OK:
            deadline.flag = flag
            deadline.save(update_fields=["flag", "due_on"])
            events.deadline_flagged(case, at=at, rule=deadline.rule, flag=flag,
                                    due_on=deadline.due_on)
            counts[flag] += 1
            changed = True
    before = (case.next_due_on, case.deadline_flag)
    deadline_sync.refresh_case(case, open_deadlines, book=book, today=today)
    if changed or before != (case.next_due_on, case.deadline_flag):
        case.save(update_fields=["next_due_on", "deadline_flag", "updated_at"])
    return changed
