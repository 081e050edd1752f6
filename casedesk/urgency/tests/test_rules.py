"""The urgency rules of rulebook 2026.1 (urgency.yaml) on the wordings of real appeals:
word forms meet, negations and other senses of the words do not trigger."""

from __future__ import annotations

import pytest

from casedesk.urgency.rules import match

VERSION = "2026.1"

URGENT = [
    # A threat to life or health
    ("Командир угрожает ему расправой, если он напишет жалобу", "threat_to_life"),
    ("Существует реальная угроза его жизни и здоровью", "threat_to_life"),
    ("Сына избили сослуживцы, держат в яме", "threat_to_life"),
    ("Ему угрожали расстрелом за отказ идти в штурм", "threat_to_life"),
    ("Его жизнь в опасности, помогите", "threat_to_life"),
    # Suicide
    ("Сын сказал по телефону, что не хочет больше жить", "suicide"),
    ("Он грозится покончить с собой", "suicide"),
    ("У мужа суицидальные мысли после ранения", "suicide"),
    ("Боюсь, что он наложит на себя руки", "suicide"),
    # Imminent return to the combat zone (the refusing soldiers of the samples)
    ("Завтра его отправляют обратно, хотя он не долечился", "return_to_combat"),
    ("Мужа возвращают на передовую без отдыха", "return_to_combat"),
    ("Через неделю его вернут на передовой", "return_to_combat"),
    ("Сына снова отправили в зону СВО после 40 дней боёв", "return_to_combat"),
    ("Их готовят к отправке, отправят в зону боевых действий", "return_to_combat"),
    # Detention or a criminal case
    ("Сына задержала военная полиция", "detention"),
    ("В отношении мужа возбуждено уголовное дело по ч. 5 ст. 337 УК РФ", "detention"),
    ("Его держат под стражей в СИЗО", "detention"),
    ("Против сына завели уголовное дело за отказ ехать на Украину", "detention"),
    ("Ему грозит статья 338 УК", "detention"),
    # Missing or captive
    ("Мой сын пропал без вести под Бахмутом", "missing_or_captive"),
    ("Мужа взяли в плен в марте", "missing_or_captive"),
    ("Сын не выходит на связь уже 20 дней", "missing_or_captive"),
    ("Пропала связь с мужем с 3 марта", "missing_or_captive"),
    # Wounded without treatment
    ("Сын ранен, но его не лечат и не эвакуируют", "wounded_untreated"),
    ("Муж был ранен осколком, медицинскую помощь не оказывают", "wounded_untreated"),
    ("После контузии ему отказали в госпитализации", "wounded_untreated"),
    # HTML of a web appeal
    ("<p>Муж <b>пропал&nbsp;без вести</b></p>", "missing_or_captive"),
]

NOT_URGENT = [
    "Его жизни ничего не угрожает, просим пересчитать выплаты",
    "Никто не угрожает его жизни, но отпуск не дают",
    "Существует угроза срыва сроков выплаты денежного довольствия",
    "Задержали выплату денежного довольствия за три месяца",
    "Сына записали в СОЧ, хотя он лежит в госпитале.",  # a record error, not a case
    "Не лечат зубы уже год, просим направить к стоматологу",  # no wound or illness
    "Мы отдыхали в Сочи, когда пришла повестка",
    "Муж вернулся из зоны СВО и просит отпуск по семейным обстоятельствам",
    "Просим отправить документы обратно почтой",  # «отправить обратно», another sense
    "Его не задержали, он дома",
    "Прошу сообщить, положена ли компенсация за наём жилья",
    "",
]


@pytest.mark.parametrize(("text", "code"), URGENT)
def test_an_urgent_wording_is_flagged_with_its_rule(text, code):
    assert code in match(text, VERSION)


@pytest.mark.parametrize("text", NOT_URGENT)
def test_an_ordinary_wording_is_not_flagged(text):
    assert match(text, VERSION) == []


def test_one_text_may_meet_several_rules_in_the_rulebooks_order():
    text = ("Сын ранен, его не лечат. Командование угрожает расстрелом. "
            "Он пишет, что не хочет жить.")
    assert match(text, VERSION) == ["threat_to_life", "suicide", "wounded_untreated"]
