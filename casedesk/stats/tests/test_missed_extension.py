"""A deadline missed stays missed in the statistics: it cannot be extended after it passed,
so a late answer is counted late (issue 14 part 7)."""

from __future__ import annotations

import pytest
from django.db.models import Sum

from casedesk.accounts.roles import Role
from casedesk.cases.services import case_transition, deadline_extend, deadlines_sweep
from casedesk.core.errors import ApplicationError
from casedesk.letters.answers import answer_draft_save, answer_sign
from casedesk.stats.models import MonthlyRollup
from casedesk.stats.refresh import stats_refresh
from casedesk.testing import at


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_an_answer_after_a_refused_late_extension_counts_late(register, staff):
    worker, supervisor = staff[Role.CASEWORKER], staff[Role.SUPERVISOR]
    late = register(at=at("2025-03-03", 10))       # the answer is due on 2025-04-02
    on_time = register(at=at("2025-03-03", 11))
    for case in (late, on_time):
        case_transition(actor=worker, case=case, transition="start_review", at=at("2025-03-04"))
    deadline_extend(actor=supervisor, case=on_time, days=20, reason="Запрос в часть.",
                    at=at("2025-04-01"))
    deadlines_sweep(at=at("2025-04-05"))
    with pytest.raises(ApplicationError):
        deadline_extend(actor=supervisor, case=late, days=20, reason="Поздно.",
                        at=at("2025-04-05"))
    for case in (late, on_time):  # answered by signing the answer, as the office does
        answer_draft_save(actor=worker, case=case, text="Ответ по существу.",
                          outcome="upheld", at=at("2025-04-10"))
        answer_sign(actor=worker, case=case, at=at("2025-04-10"))
    stats_refresh(now=at("2025-12-31", 20))
    totals = MonthlyRollup.objects.aggregate(
        on_time=Sum("answered_on_time"), late=Sum("answered_late"), extended=Sum("extended"))
    assert totals == {"on_time": 1, "late": 1, "extended": 1}
