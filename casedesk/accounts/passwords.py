"""Refusing breached and common passwords (ASVS 5.0 V6.2).

``BreachedPasswordValidator`` refuses a password that is on the list shipped in
``accounts/data/breached-passwords.txt`` (see the README there for its source), compared
case-insensitively, and also one that is a list entry followed only by digits and
punctuation ("Password2024!", "qwerty123456"). Length is checked by Django's
``MinimumLengthValidator`` (12); there are no composition rules and no forced rotation.
"""

from __future__ import annotations

import functools
import string
import unicodedata
from pathlib import Path

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

DEFAULT_LIST = Path(__file__).resolve().parent / "data" / "breached-passwords.txt"
# What may follow a list entry and still count as that entry: "monkey" + "2024!!".
SUFFIX_CHARACTERS = frozenset(string.digits + string.punctuation + " ")
# A list entry shorter than this followed by digits is not refused for that reason alone
# ("ab" + ten random digits is not a common password; the list's short entries would
# otherwise refuse half of all passwords that begin with two letters).
MIN_BASE_LENGTH = 4


def normalise(password: str) -> str:
    return unicodedata.normalize("NFKC", password).casefold().strip()


@functools.lru_cache(maxsize=4)
def load(path: str) -> frozenset[str]:
    with open(path, encoding="utf-8") as handle:
        return frozenset(normalise(line) for line in handle if line.strip())


class BreachedPasswordValidator:
    def __init__(self, password_list_path: str | Path = DEFAULT_LIST,
                 min_base_length: int = MIN_BASE_LENGTH):
        self.path = str(password_list_path)
        self.min_base_length = min_base_length

    @property
    def passwords(self) -> frozenset[str]:
        return load(self.path)

    def is_breached(self, password: str) -> bool:
        candidate = normalise(password)
        listed = self.passwords
        if candidate in listed:
            return True
        # Strip trailing digits/punctuation one at a time; any prefix on the list counts.
        end = len(candidate)
        while end > 0 and candidate[end - 1] in SUFFIX_CHARACTERS:
            end -= 1
            base = candidate[:end].rstrip()
            if len(base) >= self.min_base_length and base in listed:
                return True
        return False

    def validate(self, password: str, user=None) -> None:
        if self.is_breached(password):
            raise ValidationError(
                _("This password is on a list of passwords known to attackers (common or "
                  "leaked passwords, also with digits or signs added at the end). Choose "
                  "another one: a few unrelated words make a good password."),
                code="password_breached",
            )

    def get_help_text(self) -> str:
        return _("Your password can’t be a commonly used or leaked password, nor one with "
                 "only digits or signs added to it.")


# --- strength (issue 15, finding 10) -------------------------------------------------------

# The demo logins' password (README, ``casedesk.demo``): published, so never a real one.
DEMO_PASSWORD = "casedesk-demo-2026"  # noqa: S105 - refused in production, see below
# zxcvbn's score (0-4) a password must reach: 3 = "safely unguessable: moderate protection
# from an offline slow-hash scenario" (about 10^8 guesses or more).
MIN_SCORE = 3

# Where each Cyrillic letter sits on a Russian (ЙЦУКЕН) keyboard, as the Latin letter on
# the same key: "йцукен" is "qwerty", and "vjcrdf" is "москва" typed without switching.
_RU_KEYS = "йцукенгшщзхъфывапролджэячсмитьбюё"
_EN_KEYS = "qwertyuiop[]asdfghjkl;'zxcvbnm,.`"
_CYR_TO_KEY = str.maketrans(_RU_KEYS, _EN_KEYS)
_KEY_TO_CYR = str.maketrans(_EN_KEYS, _RU_KEYS)
_TRANSLIT = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh",
    "з": "z", "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o",
    "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts",
    "ч": "ch", "ш": "sh", "щ": "sch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu",
    "я": "ya",
}
# Russian words and names common in passwords that zxcvbn's (English) lists lack even in
# Latin letters; checked in Cyrillic, in transliteration and as typed on the other layout.
RUSSIAN_WORDS = (
    "москва", "россия", "пароль", "привет", "любовь", "солнце", "солнышко", "котик",
    "зайка", "зайчик", "рыбка", "малыш", "ангел", "мама", "папа", "семья", "дружба",
    "свобода", "победа", "родина", "питер", "киев", "минск", "спартак", "динамо", "зенит",
    "цска", "лето", "весна", "зима", "осень", "наташа", "наталья", "катя", "екатерина",
    "маша", "мария", "настя", "анастасия", "оля", "ольга", "лена", "елена", "таня",
    "татьяна", "света", "светлана", "ирина", "юля", "юлия", "аня", "анна", "даша",
    "дарья", "саша", "александр", "александра", "сергей", "андрей", "алексей", "дмитрий",
    "дима", "максим", "владимир", "иван", "михаил", "николай", "евгений", "артем",
    "денис", "игорь", "олег", "павел", "роман", "виктор", "кирилл", "никита", "антон",
    "господь", "бог", "вера", "надежда", "медведь", "кошка", "собака", "машина",
    "компьютер", "работа", "служба", "армия", "солдат", "война", "мир", "дом", "счастье",
    "красота", "маленький", "хорошо", "люблю", "тебя", "яблоко", "погода", "кафедра",
)


def _transliterate(text: str) -> str:
    return "".join(_TRANSLIT.get(ch, ch) for ch in text)


def password_variants(password: str) -> list[str]:
    """The password as typed, with its Cyrillic letters as the keys they sit on (йцукен →
    qwerty), transliterated (москва → moskva), and with its Latin keys read as Cyrillic
    and transliterated (vjcrdf → москва → moskva): zxcvbn knows English words and QWERTY
    patterns, so a Russian one is scored through its Latin forms."""
    lowered = password.casefold()
    cyrillic = lowered.translate(_KEY_TO_CYR)
    variants = [password, lowered.translate(_CYR_TO_KEY), _transliterate(lowered),
                _transliterate(cyrillic)]
    return list(dict.fromkeys(variants))


def _word_inputs() -> list[str]:
    return [*RUSSIAN_WORDS, *(_transliterate(w) for w in RUSSIAN_WORDS),
            *(w.translate(_CYR_TO_KEY) for w in RUSSIAN_WORDS)]


def password_score(password: str, user_inputs: list[str] | None = None) -> int:
    """The lowest zxcvbn score (0-4) of the password's variants (``password_variants``),
    with the person's own names and the Russian word list counted as known words."""
    from zxcvbn import zxcvbn

    inputs = [*(user_inputs or []), *_word_inputs()]
    # zxcvbn looks at the first 100 characters only: long passwords are strong anyway.
    return min(zxcvbn(variant[:100], user_inputs=inputs)["score"]
               for variant in password_variants(password))


class PasswordStrengthValidator:
    """Refuses a password zxcvbn scores below ``min_score`` in any of its forms: repeats
    (aaaaaaaaaaaa), keyboard walks (qwertyuiopas, йцукенгшщзхъ), words and names with
    digits (москва123456, moskva123456, vjcrdf123456), dates (ASVS 5.0 V6.2.4)."""

    def __init__(self, min_score: int = MIN_SCORE):
        self.min_score = min_score

    def validate(self, password: str, user=None) -> None:
        inputs = []
        if user is not None:
            inputs = [str(getattr(user, name, "") or "")
                      for name in ("username", "first_name", "last_name", "email")]
            inputs = [value for value in inputs if value]
        if password_score(password, inputs) < self.min_score:
            raise ValidationError(
                _("This password is too easy to guess: a word, a name, a date, a keyboard "
                  "pattern or a repetition, also when typed in the other keyboard layout or "
                  "in Latin letters. Choose a longer one: a few unrelated words make a good "
                  "password."),
                code="password_weak",
            )

    def get_help_text(self) -> str:
        return _("Your password can’t be easy to guess: no single words, names, dates, "
                 "keyboard patterns or repetitions.")


class DemoPasswordValidator:
    """In production (``DJANGO_ENV=production``) refuses the demo logins' published
    password; elsewhere the demo accounts keep it."""

    def validate(self, password: str, user=None) -> None:
        from django.conf import settings

        if settings.ENV == "production" and \
                normalise(password) == normalise(DEMO_PASSWORD):
            raise ValidationError(
                _("This is the published password of the demo accounts. Choose another one."),
                code="password_demo",
            )

    def get_help_text(self) -> str:
        return _("Your password can’t be the published password of the demo accounts.")
