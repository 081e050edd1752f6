"""What each kind of letter needs: the context its template receives and a sample of it.

Every template receives the common context (built by ``services`` from the case) and the
kind's own keys (given by the caller). The sample context serves the admin's check of an
edited template, ``letters_check`` and the preview.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .models import LetterKind, LetterLanguage

LANGUAGES: tuple[str, ...] = tuple(LetterLanguage.values)

# Computed from the case for every letter.
COMMON = (
    "language", "office", "date", "addressee", "addressee_given", "addressee_gender",
    "case_number", "received_on", "registered_on", "answer_due", "status_url",
    "incoming_number", "office_address", "addressee_address", "outgoing_number", "signatory",
    "signatory_position",
    # The office's procedure (rulebook deadlines.yaml, ``procedures``): its kind
    # (federal_commissioner, regional_commissioner, public_body, ngo), the basis it cites
    # (a regional commissioner's with its regional law; an NGO's names its own rules),
    # ``own_policy`` for an NGO, and what the letters cite for forwarding and extension
    # (empty: the procedure's law sets nothing for the step).
    "procedure_kind", "procedure_basis", "own_policy", "forwarding_basis", "extension_basis",
)


@dataclass(frozen=True)
class Spec:
    texts: tuple[str, ...] = ()  # required, non-empty (the service may fill some from the case)
    dates: tuple[str, ...] = ()  # required dates (date, aware datetime or YYYY-MM-DD)
    optional: tuple[str, ...] = ()  # texts that may be missing or empty
    flags: tuple[str, ...] = ()  # yes/no, false when missing
    derived: tuple[str, ...] = ()  # computed by the service from the other keys

    @property
    def given(self) -> tuple[str, ...]:
        """The keys a caller may pass."""
        return self.texts + self.dates + self.optional + self.flags

    @property
    def keys(self) -> tuple[str, ...]:
        return self.given + self.derived


SPECS: dict[str, Spec] = {
    LetterKind.ACKNOWLEDGEMENT: Spec(optional=("access_code",)),
    LetterKind.INFORMATION_REQUEST: Spec(texts=("message",)),
    LetterKind.EXTENSION_NOTICE: Spec(texts=("reason",), dates=("new_due_on",)),
    LetterKind.FORWARDING_NOTICE: Spec(texts=("forwarded_to",)),
    # To the body the appeal is forwarded to (59-FZ art. 8 part 3), not to the applicant:
    # ``addressee`` is the body; ``applicant`` the applicant's name; the rule and its
    # citation come from the rulebook's deadline rule "forwarding".
    LetterKind.COVERING_LETTER: Spec(
        texts=("forwarded_to",),
        derived=("applicant", "forwarding_rule", "forwarding_citation", "forwarding_days",
                 "applicant_notified")),
    # 59-FZ art. 11: what the rulebook's ground says the applicant must be told.
    LetterKind.UNANSWERED_NOTICE: Spec(
        texts=("ground",),
        derived=("ground_label", "ground_notice", "ground_citation")),  # (or the procedure's)
    # ``remedies``: what the applicant can do against the body's act (review.yaml), a list
    # of {text, citation}; never an appeal against the commissioner's own decision.
    LetterKind.DECISION: Spec(texts=("outcome", "reasoning"), dates=("signed_on",),
                              optional=("outcome_label",), flags=("corrects",),
                              derived=("remedies",)),
    LetterKind.ANSWER: Spec(texts=("text",), optional=("outcome", "outcome_label",
                                                       "supplements_number"),
                            flags=("supplement",), derived=("enclosures",)),
}

_SAMPLE_COMMON = {
    "ru": {
        "office": "Аппарат Уполномоченного по правам человека",
        "addressee": "Иванова Анна Петровна",
        "addressee_given": "Анна Петровна",
        "addressee_gender": "f",
        "office_address": "101000, Москва, ул. Мясницкая, д. 47",
        "addressee_address": "450077, Уфа, ул. Ленина, д. 5, кв. 12",
        "signatory": "Соколова Мария Игоревна",
        "signatory_position": "Главный специалист",
    },
    "en": {
        "office": "Office of the Commissioner for Human Rights",
        "addressee": "Anna Ivanova",
        "addressee_given": "",
        "addressee_gender": "",
        "office_address": "47 Myasnitskaya St, Moscow 101000",
        "addressee_address": "5 Lenina St, apt 12, Ufa 450077",
        "signatory": "Maria Sokolova",
        "signatory_position": "Chief specialist",
    },
}

_SAMPLE_KIND = {
    "ru": {
        LetterKind.ACKNOWLEDGEMENT: {"access_code": "K7M2-Q9XD-4TPA"},
        LetterKind.INFORMATION_REQUEST: {
            "message": "Пришлите, пожалуйста, копию выписного эпикриза из госпиталя."},
        LetterKind.EXTENSION_NOTICE: {
            "reason": "Направлен запрос в военный комиссариат; ответ ещё не получен.",
            "new_due_on": dt.date(2027, 3, 12)},
        LetterKind.FORWARDING_NOTICE: {"forwarded_to": "Военная прокуратура Западного военного "
                                                       "округа"},
        LetterKind.COVERING_LETTER: {
            "forwarded_to": "Военная прокуратура Западного военного округа",
            "outgoing_number": "MSK/2027/00042", "applicant": "Иванова Анна Петровна",
            "forwarding_rule": "Письменное обращение, содержащее вопросы, решение которых не "
                               "входит в компетенцию государственного органа, направляется "
                               "в течение семи дней со дня регистрации в соответствующий "
                               "орган с уведомлением гражданина о переадресации.",
            "forwarding_citation": "Федеральный закон от 02.05.2006 № 59-ФЗ, ст. 8, ч. 3",
            "forwarding_days": 7, "applicant_notified": True},
        LetterKind.UNANSWERED_NOTICE: {
            "ground": "unreadable", "outgoing_number": "MSK/2027/00043",
            "ground_label": "Текст обращения не поддаётся прочтению",
            "ground_notice": "Ответ на обращение не даётся, и оно не подлежит направлению "
                             "на рассмотрение, так как его текст не поддаётся прочтению.",
            "ground_citation": "Федеральный закон от 02.05.2006 № 59-ФЗ, ст. 11, ч. 4"},
        LetterKind.DECISION: {
            "outcome": "upheld", "outcome_label": "поддержано",
            "reasoning": "Военнослужащий находился на лечении в госпитале, что подтверждено "
                         "выписным эпикризом; запись о самовольном оставлении части ошибочна.",
            "signed_on": dt.date(2027, 2, 3), "corrects": False},
        LetterKind.ANSWER: {
            "text": "Аппарат рассмотрел ваше обращение.\n\nПо нашему запросу командование "
                    "воинской части исправило запись о самовольном оставлении части.",
            "outcome": "upheld", "outcome_label": "поддержано", "supplements_number": "",
            "supplement": False, "enclosures": ["Выписка из приказа.pdf"]},
    },
    "en": {
        LetterKind.ACKNOWLEDGEMENT: {"access_code": "K7M2-Q9XD-4TPA"},
        LetterKind.INFORMATION_REQUEST: {
            "message": "Please send a copy of the hospital discharge summary."},
        LetterKind.EXTENSION_NOTICE: {
            "reason": "We have asked the military commissariat for records and are waiting "
                      "for its reply.",
            "new_due_on": dt.date(2027, 3, 12)},
        LetterKind.FORWARDING_NOTICE: {"forwarded_to": "Military Prosecutor's Office of the "
                                                       "Western Military District"},
        LetterKind.COVERING_LETTER: {
            "forwarded_to": "Military Prosecutor's Office of the Western Military District",
            "outgoing_number": "MSK/2027/00042", "applicant": "Anna Ivanova",
            "forwarding_rule": "A written appeal on questions outside the competence of the "
                               "body that received it is sent within seven days of its "
                               "registration to the competent body, and the citizen is told.",
            "forwarding_citation": "Федеральный закон от 02.05.2006 № 59-ФЗ, ст. 8, ч. 3",
            "forwarding_days": 7, "applicant_notified": True},
        LetterKind.UNANSWERED_NOTICE: {
            "ground": "unreadable", "outgoing_number": "MSK/2027/00043",
            "ground_label": "The text of the appeal cannot be read",
            "ground_notice": "No answer is given and the appeal cannot be forwarded, because "
                             "its text cannot be read.",
            "ground_citation": "Федеральный закон от 02.05.2006 № 59-ФЗ, ст. 11, ч. 4"},
        LetterKind.DECISION: {
            "outcome": "upheld", "outcome_label": "upheld",
            "reasoning": "The service member was in hospital, as the discharge summary shows; "
                         "the record of unauthorised absence is wrong.",
            "signed_on": dt.date(2027, 2, 3), "corrects": False},
        LetterKind.ANSWER: {
            "text": "The office has reviewed your appeal.\n\nAt our request the unit's "
                    "command has corrected the record of unauthorised absence.",
            "outcome": "upheld", "outcome_label": "upheld", "supplements_number": "",
            "supplement": False, "enclosures": ["Order extract.pdf"]},
    },
}


def sample_context(kind: str, language: str) -> dict:
    """A complete, plausible context for ``kind`` in ``language``."""
    return {
        "language": language,
        **_SAMPLE_COMMON[language],
        "date": dt.date(2027, 2, 10),
        "case_number": "MSK-2027-000123",
        "received_on": dt.date(2027, 1, 11),
        "registered_on": dt.date(2027, 1, 11),
        "incoming_number": "MSK/2027/00042",
        "answer_due": dt.date(2027, 2, 10),
        "status_url": f"https://casedesk.example/{language}/status/",
        "outgoing_number": "MSK/2027/00042",
        **_SAMPLE_PROCEDURE[language],
        **({"remedies": _SAMPLE_REMEDIES[language]} if kind == LetterKind.DECISION else {}),
        **_SAMPLE_KIND[language][kind],
    }


_SAMPLE_PROCEDURE = {
    "ru": {"procedure_kind": "public_body",
           "procedure_basis": "Федеральный закон от 02.05.2006 № 59-ФЗ",
           "own_policy": False,
           "forwarding_basis": "Федеральный закон от 02.05.2006 № 59-ФЗ, ст. 8, ч. 3",
           "extension_basis": "Федеральный закон от 02.05.2006 № 59-ФЗ, ст. 12, ч. 2"},
    "en": {"procedure_kind": "public_body",
           "procedure_basis": "«Федеральный закон от 02.05.2006 № 59-ФЗ» (Federal Law No. "
                              "59-FZ of 2 May 2006 on citizens' appeals)",
           "own_policy": False,
           "forwarding_basis": "«Федеральный закон от 02.05.2006 № 59-ФЗ, ст. 8, ч. 3» "
                               "(Federal Law No. 59-FZ of 2 May 2006 on citizens' appeals, "
                               "art. 8, part 3)",
           "extension_basis": "«Федеральный закон от 02.05.2006 № 59-ФЗ, ст. 12, ч. 2» "
                              "(Federal Law No. 59-FZ of 2 May 2006 on citizens' appeals, "
                              "art. 12, part 2)"},
}

_SAMPLE_REMEDIES = {
    "ru": [{"text": "Вы можете подать жалобу в военную прокуратуру.",
            "citation": "Федеральный закон от 17.01.1992 № 2202-1, ст. 10"}],
    "en": [{"text": "You may complain to the military prosecutor's office.",
            "citation": "«Федеральный закон от 17.01.1992 № 2202-1, ст. 10» (Federal Law "
                        "No. 2202-1 of 17 Jan 1992 on the Prosecutor's Office, art. 10)"}],
}
