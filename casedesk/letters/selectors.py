"""Reads for letters: what a letter says about its case, and the templates in force."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from casedesk import rulebook
from casedesk.cases.deadline_sync import calendar_of
from casedesk.cases.models import Case
from casedesk.core.states import CaseState
from casedesk.deadlines.rules import due_date

from .kinds import LANGUAGES
from .models import LetterTemplate
from .rendering import LetterSource

ANSWER_RULE = "answer"


def letters_folder(book: rulebook.Rulebook) -> Path:
    return Path(book.path) / "letters"


def letter_source(*, kind: str, language: str, book: rulebook.Rulebook) -> LetterSource:
    """The template in force: the one edited in the admin if there is one, else the file
    of the rulebook version ``book``."""
    edited = (LetterTemplate.objects.filter(kind=kind, language=language)
              .values_list("body", flat=True).first())
    return LetterSource(kind=kind, language=language, folder=letters_folder(book), body=edited)


def letter_case_language(case: Case) -> str:
    """The language of the case's first appeal (Russian if it is neither)."""
    language = (case.appeals.order_by("received_at", "pk")
                .values_list("language", flat=True).first()) or "ru"
    language = language[:2].lower()
    return language if language in LANGUAGES else "ru"


def letter_addressee(case: Case) -> str:
    """The full name of the case's first applicant."""
    link = case.applicant_links.select_related("person").order_by("pk").first()
    return link.person.full_name if link else ""


def letter_addressee_address(case: Case) -> str:
    """The postal address of the case's first applicant ("" if none was given)."""
    link = case.applicant_links.select_related("person").order_by("pk").first()
    return link.person.postal_address if link else ""


def name_for_salutation(full_name: str) -> tuple[str, str]:
    """(given name and patronymic, "f" or "m") for a Russian "Surname Given Patronymic",
    judged by the patronymic's ending; ("", "") when the name does not look like one."""
    words = full_name.split()
    if len(words) != 3:
        return "", ""
    patronymic = words[2].lower()
    if patronymic.endswith(("вна", "чна")):
        return f"{words[1]} {words[2]}", "f"
    if patronymic.endswith("ич"):
        return f"{words[1]} {words[2]}", "m"
    return "", ""


def letter_answer_due(case: Case) -> dt.date | None:
    """The date by which the applicant is owed an answer: the open ``answer`` deadline, or
    for an appeal not registered yet, the latest date the rules allow (registered on the
    last lawful day, then the answer period). None if no answer deadline runs."""
    deadlines = {d.rule: d for d in case.deadlines.filter(closed_on__isnull=True)}
    if ANSWER_RULE in deadlines:
        return deadlines[ANSWER_RULE].due_on
    book = rulebook.get(case.rulebook_version)
    registration = deadlines.get("registration")
    if (case.state != CaseState.RECEIVED or registration is None
            or ANSWER_RULE not in book.procedures[case.procedure].deadlines):
        return None
    return due_date(book.rules[ANSWER_RULE], start=registration.due_on,
                    calendar=calendar_of(book))


# --- answers on the merits ---------------------------------------------------------------


def answer_current(case: Case):
    """The case's answer in the works (not signed yet), or None."""
    from .models import Answer, AnswerState

    return (Answer.objects.filter(case=case).exclude(state=AnswerState.SIGNED)
            .select_related("author", "edited_by", "approver", "supplements")
            .prefetch_related("attachments").first())


def answers_signed(case: Case) -> list:
    """The case's signed answers, oldest first (the first answer, then supplements)."""
    from .models import Answer, AnswerState

    return list(Answer.objects.filter(case=case, state=AnswerState.SIGNED)
                .select_related("signer", "approver", "author", "letter_pdf", "letter_docx")
                .prefetch_related("attachments").order_by("signed_at", "id"))


def documents_for_applicant(case_id: int):
    """The case's documents the applicant may download from the status page: the office's
    letters (generated, public) and the documents enclosed with a signed answer."""
    from django.db.models import Q

    from casedesk.cases.models import Document

    from .models import Answer, AnswerState

    enclosed = Answer.attachments.through.objects.filter(
        answer__case_id=case_id, answer__state=AnswerState.SIGNED).values("document_id")
    return Document.objects.filter(case_id=case_id, public=True).filter(
        Q(generated=True) | Q(pk__in=enclosed))


def answers_to_post(*, office_ids) -> list:
    """Signed answers not posted yet of cases whose first appeal came by post, in the
    offices ``office_ids``, oldest first; with the case, its office and its first
    applicant (for the address)."""
    from django.db.models import OuterRef, Subquery

    from casedesk.cases.models import Appeal, Channel

    from .models import Answer, AnswerState

    first_channel = (Appeal.objects.filter(case=OuterRef("case_id"))
                     .order_by("received_at", "id").values("channel")[:1])
    return list(Answer.objects.filter(state=AnswerState.SIGNED, posted_at__isnull=True,
                                      case__office_id__in=office_ids)
                .annotate(channel=Subquery(first_channel))
                .filter(channel=Channel.LETTER)
                .select_related("case", "case__office", "signer")
                .order_by("signed_at", "id"))
