"""The one table of allowed case transitions.

Each row says from which states a move is allowed, where it leads, who may make it and
what the actor must give. ``case_transition`` in ``services`` is the only code that moves
a case; docs/workflow.md (with its diagram) is generated from this table.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from casedesk.accounts.roles import Role
from casedesk.core.states import CaseState as S


class Outcome(models.TextChoices):
    UPHELD = "upheld", _("upheld")
    PARTLY_UPHELD = "partly_upheld", _("partly upheld")
    REJECTED = "rejected", _("not upheld")
    EXPLAINED = "explained", _("explained")


class DecisionOutcome(models.TextChoices):
    """What a commission decided (``review.models.Decision.outcome``); here, beside the
    case's own outcomes, so that the timeline can name it."""

    UPHOLD = "uphold", _("upheld")
    PARTLY_UPHOLD = "partly_uphold", _("partly upheld")
    REJECT = "reject", _("not upheld")
    REQUEST_INFORMATION = "request_information", _("more information requested")


# The applicant is not staff: they act on their own case after proving the access code.
APPLICANT = "applicant"

# What a transition may require the actor to give.
REASON, MESSAGE, OUTCOME, FORWARDED_TO, GROUND = (
    "reason", "message", "outcome", "forwarded_to", "ground"
)
# The id of the signed answer (casedesk.letters.answers): a move that requires it is made
# only by the service that signs the answer, never from the generic transition form.
ANSWER = "answer"


@dataclass(frozen=True)
class Transition:
    name: str
    sources: frozenset[S]
    target: S
    roles: frozenset[Role]
    label: Promise
    requires: tuple[str, ...] = ()
    public: bool = True  # shown on the applicant's status page
    anchor: str | None = None  # the deadline anchor event this move is (rulebook starts_on)

    @property
    def by_service(self) -> bool:
        """Made only by a service of a higher layer (not offered as an action button)."""
        return ANSWER in self.requires


OPEN_FOR_WORK = frozenset({S.REGISTERED, S.IN_REVIEW})
STAFF = frozenset({Role.INTAKE_CLERK, Role.CASEWORKER, Role.SUPERVISOR})
WORKERS = frozenset({Role.CASEWORKER, Role.SUPERVISOR})

TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in [
        Transition("register", frozenset({S.RECEIVED}), S.REGISTERED, STAFF,
                   _("Register"), anchor="registered"),
        Transition("start_review", frozenset({S.REGISTERED}), S.IN_REVIEW, WORKERS,
                   _("Take into review")),
        Transition("request_information", frozenset({S.IN_REVIEW}), S.AWAITING_INFORMATION,
                   WORKERS, _("Request information"), requires=(MESSAGE,)),
        Transition("information_received", frozenset({S.AWAITING_INFORMATION}), S.IN_REVIEW,
                   STAFF, _("Information received")),
        Transition("information_provided", frozenset({S.AWAITING_INFORMATION}), S.IN_REVIEW,
                   frozenset({APPLICANT}), _("Applicant answered the question")),
        Transition("refer_to_commission", frozenset({S.IN_REVIEW}), S.REFERRED_TO_COMMISSION,
                   WORKERS, _("Refer to the commission"), requires=(REASON,)),
        Transition("return_from_commission", frozenset({S.REFERRED_TO_COMMISSION}), S.IN_REVIEW,
                   frozenset({Role.COMMISSION_MEMBER, Role.SUPERVISOR}),
                   _("Return from the commission"), requires=(REASON,)),
        Transition("record_decision", frozenset({S.REFERRED_TO_COMMISSION}),
                   S.COMMISSION_DECIDED, frozenset({Role.COMMISSION_MEMBER}),
                   _("Record the commission's decision"), requires=(OUTCOME, REASON)),
        Transition("answer", frozenset({S.IN_REVIEW, S.COMMISSION_DECIDED}), S.ANSWERED,
                   WORKERS, _("Answer"), requires=(ANSWER, OUTCOME)),
        Transition("forward", OPEN_FOR_WORK, S.FORWARDED, WORKERS,
                   _("Forward to the competent body"), requires=(FORWARDED_TO,)),
        Transition("leave_unanswered", OPEN_FOR_WORK, S.LEFT_UNANSWERED, WORKERS,
                   _("Leave unanswered"), requires=(GROUND,)),
        Transition("withdraw",
                   frozenset({S.RECEIVED, S.REGISTERED, S.IN_REVIEW, S.AWAITING_INFORMATION,
                              S.REFERRED_TO_COMMISSION}),
                   S.WITHDRAWN, STAFF, _("Record withdrawal"), requires=(REASON,)),
        Transition("close",
                   frozenset({S.ANSWERED, S.FORWARDED, S.LEFT_UNANSWERED, S.WITHDRAWN}),
                   S.CLOSED, WORKERS, _("Close")),
        Transition("reopen",
                   frozenset({S.ANSWERED, S.CLOSED, S.FORWARDED, S.LEFT_UNANSWERED,
                              S.WITHDRAWN}),
                   S.IN_REVIEW, frozenset({Role.SUPERVISOR}), _("Reopen"),
                   requires=(REASON,), anchor="reopened"),
    ]
}


@dataclass(frozen=True)
class Action:
    """Something done to a case (or on the staff pages) other than moving it: the roles
    that may do it. Services refuse the others (``permissions.require``); pages offer
    it only to them (``permissions.can``, the template filter ``can``)."""

    roles: frozenset[str]
    what: str  # what it is, for the docs; not shown to users


SUPERVISOR = frozenset({Role.SUPERVISOR})
READERS = STAFF | {Role.COMMISSION_MEMBER}

# Who may do what besides the transitions: the one table of it; a role set is written
# here and nowhere else (docs/staff.md, "Who may do what: the ACTIONS table").
ACTIONS: dict[str, Action] = {
    "case_read": Action(READERS, "read case files, search them, see the queues"),
    "register": Action(STAFF, "register an appeal, import a CSV file of appeals"),
    "reclassify": Action(STAFF, "correct a case's category and procedure"),
    "note": Action(READERS, "add an internal note"),
    "document_add": Action(STAFF | {APPLICANT}, "add a document to the case file"),
    "case_take": Action(WORKERS, "take an unassigned case; be the assignee of a case"),
    "assign": Action(SUPERVISOR, "assign cases to other people, one or many"),
    "workload": Action(SUPERVISOR, "see the workload per caseworker and office"),
    "deadline_extend": Action(SUPERVISOR, "extend a deadline"),
    "extension_request": Action(WORKERS, "ask a supervisor to extend a deadline"),
    "extension_decide": Action(SUPERVISOR, "approve or refuse a request for extension"),
    "ground_head": Action(SUPERVISOR, "apply a ground on which the head of the office "
                                      "decides"),
    "access_code_issue": Action(STAFF, "issue an access code for an appeal that came by "
                                       "letter, email or phone"),
    "access_code_reissue": Action(SUPERVISOR, "replace the code of an appeal made online "
                                              "(with a reason)"),
    "case_letter": Action(STAFF, "make a letter to the applicant from the case page"),
    "commission_sit": Action(frozenset({Role.COMMISSION_MEMBER}),
                             "sit on a commission: its agenda, votes and decisions"),
    "session_move": Action(SUPERVISOR, "move a commission's session to another date, "
                                       "besides its chair (their office's commissions)"),
    "letter": Action(READERS, "generate a letter (the commission's chair: the decision)"),
    "answer_draft": Action(WORKERS, "write and submit the answer on the merits"),
    "answer_approve": Action(SUPERVISOR, "approve or return a submitted answer"),
    "answer_post": Action(STAFF, "record that a signed answer was posted"),
    "stats_read": Action(frozenset({Role.SUPERVISOR, Role.ANALYST, Role.ADMINISTRATOR}),
                         "read the statistics pages of their offices"),
    "person_erase": Action(frozenset({Role.SUPERVISOR, Role.ADMINISTRATOR}),
                           "erase a person's data (a supervisor: of a case of their offices)"),
    "subject_export": Action(SUPERVISOR, "export a person's data for them (their offices' "
                                         "cases)"),
    # Duplicates (issue 18): dismiss a flagged candidate as "not the same person".
    "duplicate_dismiss": Action(STAFF, "dismiss a possible duplicate person as not the "
                                       "same person"),
    # The person page and merging two records of one man (issue 18; people.lifecycle.merge).
    "person_view": Action(READERS, "see a person's page: all their cases of the user's "
                                   "offices together"),
    "person_merge": Action(WORKERS, "merge two records of one person, link a case to a "
                                    "person (every case of both in their offices)"),
    # Urgency (issue 19, casedesk.urgency): clear a case's urgency flag ("Not urgent").
    "urgency_clear": Action(WORKERS, "clear a case's urgency flag: it is not urgent"),
    # Facts from the text (issue 19, casedesk.facts): fill an empty field of the service
    # member from a fact found in an appeal (a click on the case page, never automatic).
    "fact_apply": Action(WORKERS, "fill an empty field of the service member from a fact "
                                  "found in the appeal's text"),
}


def transitions_from(state: str) -> list[Transition]:
    return [t for t in TRANSITIONS.values() if state in t.sources]


def allowed_for(state: str, role: str) -> list[Transition]:
    """The moves a person with ``role`` may make from ``state`` (for action buttons);
    moves made only by another service (answering: signing the answer) are not among
    them."""
    return [t for t in transitions_from(state) if role in t.roles and not t.by_service]
