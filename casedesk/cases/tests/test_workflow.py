"""Every allowed and every refused transition, through the one service that moves cases."""

from __future__ import annotations

import pytest

from casedesk.accounts.roles import Role
from casedesk.cases.models import Case
from casedesk.cases.services import case_transition
from casedesk.cases.workflow import TRANSITIONS
from casedesk.core.errors import ApplicationError
from casedesk.core.states import CaseState
from casedesk.testing import actor_for, arguments_for, shortest_paths

PATHS = shortest_paths()
PAIRS = [(state.value, name) for state in CaseState for name in TRANSITIONS]


def test_every_state_is_reachable_and_every_case_can_end():
    assert set(PATHS) == {s.value for s in CaseState}
    assert all(t.roles for t in TRANSITIONS.values())
    # From every state some sequence of moves reaches `closed`.
    for state in CaseState:
        seen, frontier = {state.value}, [state.value]
        while frontier:
            current = frontier.pop()
            for t in TRANSITIONS.values():
                if current in t.sources and t.target not in seen:
                    seen.add(t.target)
                    frontier.append(t.target)
        assert state == CaseState.CLOSED or CaseState.CLOSED in seen, state


def walk(case, path, staff):
    for name in path:
        case = case_transition(actor=actor_for(name, staff, case), case=case, transition=name,
                               **arguments_for(name))
    return case


def snapshot(case):
    case = Case.objects.get(pk=case.pk)
    return (
        case.state, case.outcome, case.closed_at, case.next_due_on, case.deadline_flag,
        case.events.count(),
        list(case.deadlines.order_by("id").values_list("rule", "due_on", "closed_on", "met")),
    )


@pytest.mark.parametrize(("state", "transition"), PAIRS)
def test_transition_from_state(state, transition, register, staff):
    case = walk(register(channel="web"), PATHS[state], staff)
    assert case.state == state
    spec = TRANSITIONS[transition]
    if state in spec.sources:
        moved = case_transition(actor=actor_for(transition, staff, case), case=case,
                                transition=transition, **arguments_for(transition))
        assert moved.state == spec.target
        event = moved.events.order_by("-id").first()
        assert (event.kind, event.data["transition"], event.data["source"],
                event.data["target"]) == ("state_changed", transition, state, spec.target)
        assert Case.objects.get(pk=case.pk).state == spec.target
    else:
        before = snapshot(case)
        with pytest.raises(ApplicationError) as refused:
            case_transition(actor=actor_for(transition, staff, case), case=case,
                            transition=transition, **arguments_for(transition))
        assert refused.value.code == "illegal_transition"
        assert str(CaseState(state).label) in str(refused.value)
        assert snapshot(case) == before


@pytest.mark.parametrize("transition", list(TRANSITIONS))
@pytest.mark.parametrize("role", Role.values)
def test_only_the_roles_of_the_table_may_move(transition, role, register, staff):
    spec = TRANSITIONS[transition]
    source = min(spec.sources, key=lambda s: len(PATHS[s]))
    case = walk(register(channel="web"), PATHS[source], staff)
    before = snapshot(case)
    if role in spec.roles:
        moved = case_transition(actor=staff[role], case=case, transition=transition,
                                **arguments_for(transition))
        assert moved.state == spec.target
    else:
        with pytest.raises(ApplicationError) as refused:
            case_transition(actor=staff[role], case=case, transition=transition,
                            **arguments_for(transition))
        assert refused.value.code == "forbidden"
        assert snapshot(case) == before


def test_staff_of_another_office_cannot_move_or_learn_of_a_case(register, other_office,
                                                                 make_user):
    case = register(channel="web")
    outsider = make_user(Role.SUPERVISOR, other_office)
    before = snapshot(case)
    with pytest.raises(ApplicationError) as refused:
        case_transition(actor=outsider, case=case, transition="register")
    assert refused.value.code == "not_found"
    assert snapshot(case) == before


def test_inactive_staff_are_refused(register, staff):
    case = register(channel="web")
    clerk = staff[Role.INTAKE_CLERK]
    clerk.is_active = False
    clerk.save()
    with pytest.raises(ApplicationError) as refused:
        case_transition(actor=clerk, case=case, transition="register")
    assert refused.value.code == "forbidden"


@pytest.mark.parametrize(
    ("transition", "missing"),
    [(name, field) for name, t in TRANSITIONS.items() for field in t.requires],
)
def test_a_missing_required_field_is_refused_and_changes_nothing(transition, missing,
                                                                  register, staff):
    spec = TRANSITIONS[transition]
    source = min(spec.sources, key=lambda s: len(PATHS[s]))
    case = walk(register(channel="web"), PATHS[source], staff)
    before = snapshot(case)
    arguments = arguments_for(transition)
    arguments[missing] = "   "
    with pytest.raises(ApplicationError) as refused:
        case_transition(actor=actor_for(transition, staff, case), case=case, transition=transition,
                        **arguments)
    assert refused.value.code == f"missing_{missing}"
    assert snapshot(case) == before


@pytest.mark.parametrize(
    ("transition", "field", "value", "code"),
    [
        ("leave_unanswered", "ground", "we_are_busy", "unknown_ground"),
        ("answer", "outcome", "maybe", "unknown_outcome"),
        ("record_decision", "outcome", "maybe", "unknown_outcome"),
        ("withdraw", "reason", "x" * 5001, "too_long"),
    ],
)
def test_bad_values_are_refused(transition, field, value, code, register, staff):
    spec = TRANSITIONS[transition]
    source = min(spec.sources, key=lambda s: len(PATHS[s]))
    case = walk(register(channel="web"), PATHS[source], staff)
    before = snapshot(case)
    with pytest.raises(ApplicationError) as refused:
        case_transition(actor=actor_for(transition, staff, case), case=case, transition=transition,
                        **{**arguments_for(transition), field: value})
    assert refused.value.code == code
    assert snapshot(case) == before


def test_unknown_transition(register, staff):
    with pytest.raises(ApplicationError) as refused:
        case_transition(actor=staff[Role.SUPERVISOR], case=register(), transition="teleport")
    assert refused.value.code == "unknown_transition"


def test_left_unanswered_records_the_lawful_ground_and_its_citation(register, staff):
    case = walk(register(), ["start_review", "leave_unanswered"], staff)
    assert case.unanswered_ground == "unreadable"
    event = case.events.order_by("-id").first()
    assert event.data["ground"] == "unreadable"
    assert "59-ФЗ, ст. 11, ч. 4" in event.data["citation"]


def test_answer_then_reopen_clears_the_outcome(register, staff):
    case = walk(register(), ["start_review", "answer", "close"], staff)
    assert (case.state, case.outcome) == ("closed", "upheld")
    assert case.closed_at is not None
    case = case_transition(actor=staff[Role.SUPERVISOR], case=case, transition="reopen",
                           reason="Новые доводы заявителя")
    assert (case.state, case.outcome, case.closed_at) == ("in_review", "", None)


def test_reopen_clears_what_the_earlier_ending_recorded(register, staff):
    case = walk(register(), ["start_review", "forward"], staff)
    assert case.forwarded_to == "Военная прокуратура"
    case = case_transition(actor=staff[Role.SUPERVISOR], case=case, transition="reopen",
                           reason="Прокуратура вернула обращение")
    assert (case.state, case.forwarded_to, case.unanswered_ground) == ("in_review", "", "")


def test_the_applicant_answers_only_their_own_case(register, staff):
    from casedesk.cases.permissions import ApplicantActor

    case = walk(register(), ["start_review", "request_information"], staff)
    other = walk(register(), ["start_review", "request_information"], staff)
    with pytest.raises(ApplicationError) as refused:
        case_transition(actor=ApplicantActor(case_id=other.pk), case=case,
                        transition="information_provided")
    assert refused.value.code == "not_found"
    with pytest.raises(ApplicationError) as refused:
        case_transition(actor=ApplicantActor(case_id=case.pk), case=case, transition="close")
    assert refused.value.code in ("forbidden", "illegal_transition")
    moved = case_transition(actor=ApplicantActor(case_id=case.pk), case=case,
                            transition="information_provided")
    assert moved.state == "in_review"
    event = moved.events.order_by("-id").first()
    assert event.actor is None and event.data["by"] == "applicant"


def test_the_actions_table_is_the_one_in_the_docs(settings):
    """docs/staff.md lists every row of ACTIONS with its roles, and nothing else."""
    from pathlib import Path

    from casedesk.cases.workflow import ACTIONS

    text = (Path(settings.BASE_DIR) / "docs" / "staff.md").read_text("utf-8")
    section = text[text.index("## Who may do what: the ACTIONS table"):]
    rows = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) == 3 and cells[0].startswith("`"):
            rows[cells[0].strip("`")] = {r.strip() for r in cells[2].split(",")}
    assert rows == {name: set(action.roles) for name, action in ACTIONS.items()}
