"""Access codes: their shape, that every character is drawn at every place, and that a
code typed loosely still matches its stored hash."""

from __future__ import annotations

import collections
import re

from casedesk.core import secrets

SHAPE = re.compile(rf"^[{secrets.ALPHABET}]{{4}}-[{secrets.ALPHABET}]{{4}}-"
                   rf"[{secrets.ALPHABET}]{{4}}$")


def test_a_code_is_three_groups_of_four_readable_characters():
    for _ in range(200):
        assert SHAPE.match(secrets.access_code_new())


def test_every_character_is_drawn_at_every_place():
    # 3,000 codes: a character missing from a place by chance has odds of about 1e-50.
    seen = collections.defaultdict(set)
    for _ in range(3000):
        for place, char in enumerate(secrets.access_code_new().replace("-", "")):
            seen[place].add(char)
    assert len(seen) == secrets.GROUPS * secrets.GROUP
    assert all(chars == set(secrets.ALPHABET) for chars in seen.values())


def test_codes_do_not_repeat():
    codes = {secrets.access_code_new() for _ in range(5000)}
    assert len(codes) == 5000


def test_a_code_typed_loosely_matches_its_hash():
    code = secrets.access_code_new()
    stored = secrets.access_code_hash(code)
    assert secrets.access_code_matches(code.lower().replace("-", " "), stored)
    assert not secrets.access_code_matches(secrets.access_code_new(), stored)
    assert secrets.unseal(secrets.seal(code)) == code
