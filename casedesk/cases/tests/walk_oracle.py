"""The deadline walks as they were before cases.deadline_sync.deadlines_walk replaced them,
frozen: the reference deadlines_walk is tested against (cases/tests/test_deadline_sync_walk.py,
demo/tests/test_deadlines.py). Do not change them to follow deadlines_walk."""

from __future__ import annotations

from casedesk.cases.deadline_sync import calendar_of, closing_verdict
from casedesk.core.states import CaseState as S
from casedesk.deadlines.rules import due_date


def generator_walk(book, procedure, states, dates, today):
    """casedesk.demo.generator._deadlines before deadlines_walk, as (rule, starts_on,
    due_on, closed_on, met, pauses) tuples."""
    cal = calendar_of(book)
    rows = []
    anchors = {"received": 0}
    if len(states) > 1:
        anchors["registered"] = 1
    for rule in book.procedure_rules(procedure):
        starts = [anchors[a] for a in rule.starts_on if a in anchors]
        if not starts or states[starts[0]] not in rule.active_in:
            continue
        i = starts[0]
        pauses: list[list] = []
        closed_at = None
        for j in range(i, len(states)):
            if rule.pausable:
                waiting = states[j] == S.AWAITING_INFORMATION
                if waiting and (not pauses or pauses[-1][1] is not None):
                    pauses.append([dates[j], None])
                elif not waiting and pauses and pauses[-1][1] is None:
                    pauses[-1][1] = dates[j]
            if states[j] not in rule.active_in:
                closed_at = j
                break
        closed_on = dates[closed_at] if closed_at is not None else None
        due = due_date(rule, start=dates[i], calendar=cal,
                       pauses=[tuple(p) for p in pauses], today=closed_on or today)
        met = None
        if closed_on is not None:
            met = closing_verdict(rule, states[closed_at], closed_on, due)
        rows.append((rule.code, dates[i], due, closed_on, met, [tuple(p) for p in pauses]))
    return rows


def import_walk(book, procedure, day):
    """casedesk.intake.bulk_import.deadlines_at_registration before deadlines_walk."""
    states, dates = [S.RECEIVED, S.REGISTERED], [day, day]
    anchors = {"received": 0, "registered": 1}
    cal = calendar_of(book)
    rows = []
    for rule in book.procedure_rules(procedure):
        starts = [anchors[a] for a in rule.starts_on if a in anchors]
        if not starts or states[starts[0]] not in rule.active_in:
            continue
        i = starts[0]
        closed_at = next((j for j in range(i, len(states)) if states[j] not in rule.active_in),
                         None)
        due = due_date(rule, start=dates[i], calendar=cal, today=dates[i])
        if closed_at is None:
            rows.append((rule.code, dates[i], due, None, None))
        else:
            closed_on = dates[closed_at]
            rows.append((rule.code, dates[i], due, closed_on,
                         closing_verdict(rule, states[closed_at], closed_on, due)))
    return rows
