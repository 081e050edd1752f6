"""One answer for a campaign, drafted in each of its cases: the same text, each case's own
draft, addressed to its own applicant and signed and sent by the casework of that case
(letters.answers). Nothing is sent together: a campaign only saves typing."""

from __future__ import annotations

from dataclasses import dataclass, field

from casedesk.cases.campaigns import campaign_cases
from casedesk.cases.models import Campaign
from casedesk.core.errors import ApplicationError

from . import answers


@dataclass
class CampaignDrafts:
    saved: list[str] = field(default_factory=list)  # case numbers
    skipped: dict[str, str] = field(default_factory=dict)  # case number: why


def campaign_answer_draft(*, actor, campaign: Campaign, text: str,
                          outcome: str = "") -> CampaignDrafts:
    """Save ``text`` (and ``outcome``) as the draft answer of every case of ``campaign``
    through :func:`letters.answers.answer_draft_save`, one case after another, each in its
    own transaction with its own permission check, event and audit entry. A case that
    cannot take it (closed, its draft awaiting approval, not the actor's office) is left
    as it is and reported with the reason; the others are saved."""
    done = CampaignDrafts()
    for case in campaign_cases(campaign=campaign):
        try:
            answers.answer_draft_save(actor=actor, case=case, text=text, outcome=outcome)
        except ApplicationError as error:
            if error.code in ("too_long", "unknown_outcome"):
                raise  # the same for every case: nothing to report per case
            done.skipped[case.number] = str(error)
        else:
            done.saved.append(case.number)
    return done
