"""The urgency rules of rulebook 2026.1 (urgency.yaml) on the wordings of real appeals, in
Russian, in English and in both at once: word forms meet, negations and other senses of
the words do not trigger."""

from __future__ import annotations

import re

import pytest

from casedesk import rulebook
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


# English wordings (appeals written by relatives abroad, lawyers, translations), and
# appeals that mix the two languages.
URGENT_EN = [
    ("The commander threatened to shoot him if he complains", "threat_to_life"),
    ("There is a real threat to his life and health", "threat_to_life"),
    ("My son was beaten by other soldiers and is held in a pit", "threat_to_life"),
    ("His life is in danger, please help", "threat_to_life"),
    ("He told me on the phone that he doesn't want to live any more", "suicide"),
    ("He says he will kill himself", "suicide"),
    ("My husband has suicidal thoughts after the injury", "suicide"),
    ("Tomorrow they are sending him back to the front although he is not healed",
     "return_to_combat"),
    ("My husband is being returned to the front line without rest", "return_to_combat"),
    ("They will send him back to the combat zone next week", "return_to_combat"),
    ("My son was detained by the military police", "detention"),
    ("A criminal case has been opened against my husband under Article 337 of the "
     "Criminal Code", "detention"),
    ("He is held in custody in a pre-trial detention centre", "detention"),
    ("He is accused of desertion", "detention"),
    ("My son went missing in action near Bakhmut", "missing_or_captive"),
    ("My husband was taken prisoner in March", "missing_or_captive"),
    ("My son hasn't been in touch for 20 days", "missing_or_captive"),
    ("We lost contact with my husband on 3 March", "missing_or_captive"),
    ("My son is wounded, but they don't treat him and don't evacuate him",
     "wounded_untreated"),
    ("He was wounded by shrapnel and is given no medical care", "wounded_untreated"),
    ("After a concussion they refused to send him to hospital", "wounded_untreated"),
    # Mixed
    ("Мой сын went missing под Бахмутом", "missing_or_captive"),
    ("Сын ранен. They do not treat him.", "wounded_untreated"),
    ("He was wounded. Его не лечат.", "wounded_untreated"),
    ("Сына detained военная полиция", "detention"),
]

NOT_URGENT_EN = [
    "He is not detained, he is at home",
    "He wasn't detained, he is at home",
    "Nothing threatens his life, please recalculate the payments",
    "Nobody threatens his life, but he is given no leave",
    "There is no threat to his life",
    "The payment of his allowance has been delayed for three months",
    "My husband returned from the front and asks for family leave",
    "Please send the documents back by post",
    "Please send the documents again",
    "His teeth have not been treated for a year, please refer him to a dentist",
    "Some of the documents are missing from the file",
    "He is in touch with us every day",
    "Is a compensation for renting a flat due?",
    "Сын не задержан, he is at home",
]


@pytest.mark.parametrize(("text", "code"), URGENT_EN)
def test_an_urgent_english_or_mixed_wording_is_flagged_with_its_rule(text, code):
    assert code in match(text, VERSION)


@pytest.mark.parametrize("text", NOT_URGENT_EN)
def test_an_ordinary_english_or_mixed_wording_is_not_flagged(text):
    assert match(text, VERSION) == []


@pytest.mark.parametrize("code", list(rulebook.get(VERSION).urgency))
def test_every_rule_has_russian_and_english_phrases(code):
    rule = rulebook.get(VERSION).urgency[code]
    for phrases in (rule.patterns, rule.requires):
        if phrases:
            assert any(re.search("[а-яё]", p) for p in phrases)
            assert any(re.fullmatch(r"[a-z0-9*~ ]+", p) for p in phrases)
