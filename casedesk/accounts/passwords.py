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
