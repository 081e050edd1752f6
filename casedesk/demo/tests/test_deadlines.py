"""The demo data's deadlines come from cases.deadline_sync.deadlines_walk (shared with the
bulk import): the same rows as the generator's own walk gave before (frozen below)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Max
from django.utils import timezone

from casedesk.cases.deadline_sync import calendar_of, closing_verdict
from casedesk.cases.models import Case, Deadline
from casedesk.core.states import CaseState as S
from casedesk.deadlines.rules import due_date, status
from casedesk.demo import generator


def frozen_deadlines(ctx, case, states, dates):
    """casedesk.demo.generator._deadlines as it was before deadlines_walk."""
    book, cal = ctx.book, calendar_of(ctx.book)
    rows = []
    anchors = {"received": 0}
    if len(states) > 1:
        anchors["registered"] = 1
    for rule in book.procedure_rules(case.procedure):
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
        deadline = Deadline(case=case, rule=rule.code, starts_on=dates[i],
                            pauses=[[a.isoformat(), b.isoformat() if b else None]
                                    for a, b in pauses])
        closed_on = dates[closed_at] if closed_at is not None else None
        deadline.due_on = due_date(rule, start=dates[i], calendar=cal,
                                   pauses=[tuple(p) for p in pauses], today=closed_on or ctx.today)
        if closed_on is not None:
            deadline.closed_on = closed_on
            deadline.met = closing_verdict(rule, states[closed_at], closed_on, deadline.due_on)
        else:
            deadline.flag = str(status(deadline.due_on, ctx.today,
                                       due_soon_days=book.due_soon_days))
        rows.append(deadline)
    return rows


def generated(now, seed):
    """The deadlines and case deadline columns of 150 demo cases, in the order made."""
    after = Case.objects.aggregate(last=Max("id"))["last"] or 0
    generator.generate(count=150, seed=seed, batch=60, now=now)
    cases = Case.objects.filter(id__gt=after).order_by("id")
    return [
        (case.state, case.next_due_on, case.deadline_flag,
         [(d.rule, d.starts_on, d.due_on, d.closed_on, d.met, d.flag, d.pauses,
           d.extension_days) for d in case.deadlines.order_by("id")])
        for case in cases.prefetch_related("deadlines")
    ]


def test_the_generator_leaves_the_deadlines_its_own_walk_left(db, monkeypatch):
    now = timezone.make_aware(dt.datetime(2026, 3, 20, 12, 0))
    current = generated(now, seed=5)
    monkeypatch.setattr(generator, "_deadlines", frozen_deadlines)
    before = generated(now, seed=5)
    assert len(current) == 150
    assert {state for state, *_ in current} >= {S.REGISTERED, S.IN_REVIEW, S.CLOSED}
    assert current == before
