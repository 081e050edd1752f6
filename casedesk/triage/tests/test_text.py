"""How the classifier reads a text: HTML, case, ё, and words mixing look-alike Latin and
Cyrillic letters."""

from __future__ import annotations

import pytest

from casedesk.triage.text import prepare


@pytest.mark.parametrize(("text", "prepared"), [
    ("<p>Военкомат&nbsp;отказал</p>", " военкомат\xa0отказал "),
    ("Ёлка", "елка"),
    ("Пpoшу paзoбpaтьcя", "прошу разобраться"),  # Latin p, o, a, c among Cyrillic
    ("Tpи", "три"),  # only look-alikes but one: the script of that one
    ("My sоn was mоbilized", "my son was mobilized"),  # Cyrillic о among Latin
    ("xopoшo", "хорошо"),  # Latin look-alikes but for ш: Cyrillic
    ("вч 12345 Kурск, office", "вч 12345 курск, office"),  # words in one script untouched
    ("mixed ёxx", "mixed exx"),  # all look-alikes: the script of most of them
])
def test_prepare(text, prepared):
    assert prepare(text) == prepared
