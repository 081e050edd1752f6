"""The demo's category suggestions (seed_demo): its appeals waiting to be registered get
them as the task would give them after the receipt (the demo writes its cases in bulk,
without the hook)."""

from __future__ import annotations

from casedesk import rulebook
from casedesk.cases.models import Case
from casedesk.core.states import CaseState

from . import services

LATEST = 2000


def triage_demo(*, train: bool = True) -> str:
    """Train the model of the rulebook in force if ``train`` (and there are enough
    registered cases), then suggest for the latest cases still to be registered; a line
    saying what was done."""
    model = services.train(rulebook.current().version) if train else None
    ids = list(Case.objects.filter(state=CaseState.RECEIVED, triage_suggestions__isnull=True)
               .order_by("-received_at").values_list("pk", flat=True)[:LATEST])
    done = services.suggest(ids)
    how = (f"a model trained on {model.examples} cases" if model
           else "the rulebook's rules or the last model")
    return f"Category suggestions for {done} appeals to register, by {how}."
