"""The demo data's deadlines come from cases.deadline_sync.deadlines_walk (shared with the
bulk import): the same rows as the generator's own walk gave before (frozen in
cases/tests/walk_oracle.py)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Max
from django.utils import timezone

from casedesk.cases.models import Case, Deadline
from casedesk.cases.tests.walk_oracle import generator_walk
from casedesk.core.states import CaseState as S
from casedesk.deadlines.rules import status
from casedesk.demo import generator


def frozen_deadlines(ctx, case, states, dates):
    """casedesk.demo.generator._deadlines as it was before deadlines_walk: the generator's
    own walk (frozen in cases/tests/walk_oracle.py), made into Deadline rows."""
    rows = []
    for rule, starts_on, due_on, closed_on, met, pauses in generator_walk(
            ctx.book, case.procedure, states, dates, ctx.today):
        deadline = Deadline(case=case, rule=rule, starts_on=starts_on, due_on=due_on,
                            pauses=[[a.isoformat(), b.isoformat() if b else None]
                                    for a, b in pauses])
        if closed_on is not None:
            deadline.closed_on = closed_on
            deadline.met = met
        else:
            deadline.flag = str(status(due_on, ctx.today,
                                       due_soon_days=ctx.book.due_soon_days))
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
    current = generated(now, seed=8)
    monkeypatch.setattr(generator, "_deadlines", frozen_deadlines)
    before = generated(now, seed=8)
    assert len(current) == 150
    assert {state for state, *_ in current} >= {S.REGISTERED, S.IN_REVIEW, S.CLOSED}
    assert current == before
