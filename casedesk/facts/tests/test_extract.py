"""The extractor (casedesk.facts.extract): every spelling of a unit the issue lists, ranks,
fitness categories, money, dates, laws (rules, no model), and natasha's people, places and
organisations on a realistic appeal."""

import pytest

from casedesk.facts.extract import extract


def _of(text, kind, ner=False):
    return [(s.text, s.normal) for s in extract(text, ner=ner) if s.type == kind]


UNITS = [
    ("Сын служит в в/ч 12345 с мая.", "в/ч 12345", "12345"),
    ("Сын служит в в\\ч 12345 с мая.", "в\\ч 12345", "12345"),
    ("Сын служит в В/Ч 12345.", "В/Ч 12345", "12345"),
    ("Адрес: в/ч № 12345, Москва.", "в/ч № 12345", "12345"),
    ("Войсковая часть 12345 не отвечает.", "Войсковая часть 12345", "12345"),
    ("Командир войсковой части 12345 молчит.", "войсковой части 12345", "12345"),
    ("Его перевели в войсковую часть 12345.", "войсковую часть 12345", "12345"),
    ("Он служит в войсковой части № 12345.", "войсковой части № 12345", "12345"),
    ("Писали войсковыми частями 12345 и другими.", "войсковыми частями 12345", "12345"),
    ("ВЧ 12345 не выдаёт справку.", "ВЧ 12345", "12345"),
    ("Направлен в вч12345 в марте.", "вч12345", "12345"),
    ("Направлен в ВЧ-12345 в марте.", "ВЧ-12345", "12345"),
    ("Из части 12345 ответа нет.", "части 12345", "12345"),
    ("Прибыл в часть 12345 на прошлой неделе.", "часть 12345", "12345"),
    ("Служит в в/ч 12345-А под Белгородом.", "в/ч 12345-А", "12345-А"),
    ("Командованием в/ч 74814 не выплачено.", "в/ч 74814", "74814"),
]


@pytest.mark.parametrize(("text", "words", "normal"), UNITS)
def test_units_in_every_spelling_with_their_number(text, words, normal):
    assert _of(text, "UNIT") == [(words, normal)]


@pytest.mark.parametrize(("text", "normal"), [
    ("служит в 64-й отдельной мотострелковой бригаде", "64-я отдельная мотострелковая бригада"),
    ("в составе 1-го гвардейского танкового полка", "1-й гвардейский танковый полк"),
    ("из 155 отдельной бригады морской пехоты", "155-я отдельная бригада морской пехоты"),
])
def test_named_formations_normalised(text, normal):
    [(words, found)] = _of(text, "UNIT")
    assert found == normal and words in text


def test_not_a_unit():
    assert _of("В части 2 статьи сказано, что 5 батальонов ушли.", "UNIT") == []


@pytest.mark.parametrize(("text", "normal"), [
    ("Мой сын рядовой Петров", "рядовой"),
    ("обращаюсь по поводу рядового Петрова", "рядовой"),
    ("письмо ефрейтору Петрову", "ефрейтор"),
    ("младшего сержанта Петрова", "младший сержант"),
    ("со старшим лейтенантом", "старший лейтенант"),
    ("приказ подполковника", "подполковник"),
    ("от генерал-майора Иванова", "генерал-майор"),
    ("командир роты капитан Сидоров", "капитан"),
])
def test_ranks_in_the_nominative(text, normal):
    assert [n for _w, n in _of(text, "RANK")] == [normal]


@pytest.mark.parametrize(("text", "letter"), [
    ("ВВК определила категорию «В».", "В"),
    ("присвоена категория годности Г", "Г"),
    ("категории годности к военной службе «Б-3»", "Б"),
    ("признан ограниченно годен (В) к службе", "В"),
    ("Категория годности Д — не годен", "Д"),
])
def test_fitness_categories(text, letter):
    assert [n for _w, n in _of(text, "FITNESS")] == [letter]


@pytest.mark.parametrize(("text", "normal"), [
    ("задолженность 3 млн рублей", "3000000"),
    ("выплатили 195 000 руб. из положенных", "195000"),
    ("долг 1 500,50 руб.", "1500.50"),
    ("единовременная выплата 195 тыс. рублей", "195000"),
])
def test_money_in_roubles(text, normal):
    assert [n for _w, n in _of(text, "MONEY")] == [normal]


@pytest.mark.parametrize(("text", "normal"), [
    ("ранен 12.03.2024 под Авдеевкой", "2024-03-12"),
    ("мобилизован 21 сентября 2022 года", "2022-09-21"),
    ("с 12 марта по 5 апреля 2024 года был в госпитале", "2024-03-12/2024-04-05"),
    ("с 01.02.2023 по 15.03.2023 в госпитале", "2023-02-01/2023-03-15"),
    ("с 20 декабря по 10 января 2024 г.", "2023-12-20/2024-01-10"),
    ("связь пропала 3 мая", "--05-03"),
])
def test_dates_iso(text, normal):
    assert [n for _w, n in _of(text, "DATE")] == [normal]


def test_an_impossible_date_is_not_a_date():
    assert _of("номер 31.02.2024", "DATE") == []


@pytest.mark.parametrize(("text", "normal"), [
    ("согласно ст. 51 Федерального закона № 53-ФЗ", "53-ФЗ ст. 51"),
    ("на основании статья 37 53-ФЗ", "53-ФЗ ст. 37"),
    ("по ст. 51 ч. 3 п. 4 53-ФЗ", "53-ФЗ ст. 51 ч. 3 п. 4"),
    ("Постановление Правительства № 565 гласит", "Постановление Правительства РФ № 565"),
    ("по Положению о военно-врачебной экспертизе", "Положение о военно-врачебной экспертизе"),
    ("возбуждено дело по ст. 337 УК РФ", "УК РФ ст. 337"),
    ("Федеральный закон от 28.03.1998 № 53-ФЗ", "53-ФЗ"),
])
def test_laws(text, normal):
    assert [n for _w, n in _of(text, "LAW")] == [normal]


def test_offsets_point_into_the_original_text_even_with_html():
    text = "<p>Сын, <b>рядовой</b> Иванов, служит в&nbsp;в/ч 74814.</p>"
    spans = extract(text, ner=False)
    assert spans, "nothing found"
    for span in spans:
        assert text[span.start:span.end] == span.text
    assert ("UNIT", "74814") in {(s.type, s.normal) for s in spans}
    assert all("<" not in s.text for s in spans)


def test_spans_do_not_overlap_and_rules_win():
    text = ("Мой муж, младший сержант Кузнецов Андрей Викторович, служит в войсковой "
            "части 74814 в Белгородской области. С 12 марта по 5 апреля 2024 года он "
            "находился в госпитале, выплата 195 000 руб. не получена.")
    spans = extract(text)
    for a, b in zip(spans, spans[1:], strict=False):
        assert a.end <= b.start
    kinds = {(s.type, s.normal) for s in spans}
    assert ("UNIT", "74814") in kinds and ("RANK", "младший сержант") in kinds
    assert ("DATE", "2024-03-12/2024-04-05") in kinds and ("MONEY", "195000") in kinds


def test_people_places_organisations_on_a_realistic_appeal():
    # After an RFE/RL report (/work/shared/samples/articles/soldiers-refusing-to-fight.txt)
    text = ("Мой сын Павел служил в Амурской области, когда его часть отправили на фронт. "
            "Юрист Павел Чиков, основатель правозащитной группы «Агора», посоветовал "
            "обратиться к вам. Министерство обороны на наши письма не отвечает. "
            "Прошу помочь. Елена Смирнова, Тамбов.")
    spans = extract(text)
    per = [s.text for s in spans if s.type == "PER"]
    loc = [s.text for s in spans if s.type == "LOC"]
    org = [s.text for s in spans if s.type == "ORG"]
    assert "Павел Чиков" in per and "Елена Смирнова" in per
    assert "Амурской области" in loc and "Тамбов" in loc
    assert "Министерство обороны" in org
    for span in spans:
        assert text[span.start:span.end] == span.text


def test_empty_text():
    assert extract("") == [] and extract("   \n") == []


@pytest.mark.parametrize("text", [
    "Мой сын Андрей мобилизован осенью, в части его записали в СОЧ, хотя он лежит в "
    "госпитале с контузией. Прошу помочь исправить запись.",
    "Сына объявили СЗЧ, а он был в госпитале.",
])
def test_an_awol_status_is_no_organisation(text):
    """«СОЧ» (самовольное оставление части) is the record the appeal disputes: the model
    took it for an organisation on the demo's first appeal."""
    spans = extract(text)
    assert not [s for s in spans if s.text.upper() in {"СОЧ", "СЗЧ"}]
