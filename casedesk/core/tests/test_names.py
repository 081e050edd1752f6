"""The normal forms people are searched by (casedesk.core.names): no database."""

import datetime as dt

import pytest

from casedesk.core import names


@pytest.mark.parametrize(("written", "lemmas"), [
    ("Кузнецов", ["кузнецов"]),
    ("Кузнецова", ["кузнецов"]),
    ("Кузнецову", ["кузнецов"]),
    ("Кузнецовой", ["кузнецов"]),
    ("Кузнецовым", ["кузнецов"]),
    ("КУЗНЕЦОВ АНДРЕЙ СЕРГЕЕВИЧ", ["кузнецов", "андрей", "сергеевич"]),
    ("Кузнецовой Марии Сергеевны", ["кузнецов", "мария", "сергеевич"]),
    ("Петровская", ["петровский"]),
    ("Петровской", ["петровский"]),
    ("Ковалёва", ["ковалев"]),
    ("Ковалева", ["ковалев"]),
    ("Шевчуку", ["шевчук"]),
    ("Иванов", ["иванов"]),
    ("Андрея", ["андрей"]),
])
def test_name_words_are_lemmas_of_either_gender_and_any_case(written, lemmas):
    assert names.name_words(written) == lemmas


def test_a_surname_is_not_taken_for_the_first_name_it_comes_from():
    assert names.name_words("Иванов") != names.name_words("Иван")
    assert names.name_lemma("Кузнецова") != names.name_lemma("Кузьмин")


@pytest.mark.parametrize(("typed", "meant"), [
    ("Кузницов", "Кузнецов"),
    ("Кузнецав", "Кузнецов"),
    ("Кузнецоф", "Кузнецов"),
    ("Сергеевичь", "Сергеевич"),
    ("Ковалёв", "Ковалев"),
    ("Петроф", "Петров"),
])
def test_one_letter_written_as_it_sounds_keeps_the_phonetic_code(typed, meant):
    assert names.phonetic(names.name_lemma(meant)) in names.phonetic_codes(typed)


@pytest.mark.parametrize(("one", "other"), [
    ("Иванов", "Иван"), ("Кузнецов", "Кузьмин"), ("Петров", "Петраков"),
])
def test_different_names_keep_different_phonetic_codes(one, other):
    assert names.phonetic(names.name_lemma(one)) != names.phonetic(names.name_lemma(other))


@pytest.mark.parametrize("written", [
    "в/ч 74814", "В/Ч 74814", "ВЧ74814", "вч-74814", "в.ч. 74814", "войсковая часть 74814",
    "Войсковой части № 74814", "74814", "в/ч 74814-А", " 74814 ",
])
def test_a_unit_is_its_number_however_written(written):
    assert names.unit_key(written) == "74814"


def test_a_unit_without_a_number_is_its_folded_text():
    assert names.unit_key("  Штаб  Округа ") == "штаб округа"
    assert names.unit_key("") == ""


@pytest.mark.parametrize("written", [
    "8 (916) 123-45-67", "+7 916 123 45 67", "+79161234567", "79161234567", "89161234567",
    "9161234567", "8-916-123-45-67", "+7(916)1234567",
])
def test_a_phone_is_e164_however_written(written):
    assert names.phone_e164(written) == "+79161234567"


@pytest.mark.parametrize("written", ["", "abc", "12", "в/ч 74814"])
def test_not_a_phone(written):
    assert names.phone_e164(written) == ""


def test_an_email_is_lower_case_and_trimmed():
    assert names.email_key("  Maria.Kuz@Example.RU ") == "maria.kuz@example.ru"
    assert names.email_key("not an address") == ""


@pytest.mark.parametrize(("written", "iso"), [
    ("01.02.1990", "1990-02-01"), ("1.2.1990", "1990-02-01"), ("01/02/1990", "1990-02-01"),
    ("1990-02-01", "1990-02-01"), (dt.date(1990, 2, 1), "1990-02-01"),
    ("31.02.1990", ""), ("1990", ""), ("", ""),
    # A month written as a word, in Russian (any case) or English (whole, cut, a dot).
    ("1 февраля 1990", "1990-02-01"), ("1 Февраль 1990", "1990-02-01"),
    ("15 мая 1985", "1985-05-15"), ("15 май 1985", "1985-05-15"),
    ("3 марта 1991", "1991-03-03"), ("3 сентября 1991", "1991-09-03"),
    ("1 February 1990", "1990-02-01"), ("February 1, 1990", "1990-02-01"),
    ("Feb. 1 1990", "1990-02-01"), ("Sept 3, 1991", "1991-09-03"),
    ("1 may 1990", "1990-05-01"), ("31 февраля 1990", ""), ("1 майя 1990", ""),
    ("1 мартовского 1990", ""),
])
def test_dates(written, iso):
    assert names.date_key(written) == iso


@pytest.mark.parametrize(("word", "name"), [
    ("Кузнецов", True), ("Андрей", True), ("Сергеевна", True), ("Кузнецав", True),
    ("Кузмин", True), ("Римский-Корсаков", True),
    ("госпитале", False), ("выплата", False), ("довольствие", False),
    # Latin letters: no dictionary, any word may be a name.
    ("Moscow", True), ("Smith-Jones", True), ("B52", False),
])
def test_may_be_name(word, name):
    assert names.may_be_name(word) is name


@pytest.mark.parametrize(("word", "surname"), [
    ("Кузнецов", True), ("Кузнецовой", True), ("Иванов", True), ("Зайцев", True),
    ("Голубева", True), ("Никитин", True),
    ("Иван", False), ("отцов", False), ("домов", False), ("госпиталь", False),
    ("белых", False), ("документов", False), ("Moscow", False),
])
def test_is_surname(word, surname):
    assert names.is_surname(word) is surname


@pytest.mark.parametrize(("written", "heading"), [
    ("Соколова Павла Игоревича", "Соколов Павел Игоревич"),  # of a man, genitive
    ("Кузнецовой Анны Петровны", "Кузнецова Анна Петровна"),  # of a woman
    ("Кузнецова Андрея", "Кузнецов Андрей"),
    ("КУЗНЕЦОВА АНДРЕЯ", "КУЗНЕЦОВ АНДРЕЙ"),
    ("Иванову Петру Сергеевичу", "Иванов Пётр Сергеевич"),  # dative
    # Already the nominative, or not to be read safely: as written.
    ("Кузнецова Анна Петровна", "Кузнецова Анна Петровна"),
    ("Кузнецов Андрей", "Кузнецов Андрей"),
    ("Кузнецова", "Кузнецова"), ("Smith John", "Smith John"),
    ("Саши Иванова", "Саши Иванова"),  # Саша: a man or a woman
    ("Петрова-Водкина Кузьмы", "Петрова-Водкина Кузьмы"),
    ("Кузнецова Андрея 12345", "Кузнецова Андрея 12345"), ("", ""),
])
def test_the_nominative_of_a_name(written, heading):
    assert names.nominative(written) == heading


@pytest.mark.parametrize(("written", "case", "inflected"), [
    ("Петров Артём Александрович", "genitive", "Петрова Артёма Александровича"),
    ("Петров Артём Александрович", "dative", "Петрову Артёму Александровичу"),
    ("Петров Артём Александрович", "accusative", "Петрова Артёма Александровича"),
    ("Кузнецова Мария Ивановна", "genitive", "Кузнецовой Марии Ивановны"),
    ("Кузнецова Мария Ивановна", "dative", "Кузнецовой Марии Ивановне"),
    ("Кузнецова Мария Ивановна", "accusative", "Кузнецову Марию Ивановну"),
    # Written in the genitive by an appeal: read back to the nominative first.
    ("Соколова Павла Игоревича", "dative", "Соколову Павлу Игоревичу"),
    ("Шевчук Анна Петровна", "genitive", "Шевчук Анны Петровны"),
    ("Шевчук Олег Петрович", "genitive", "Шевчука Олега Петровича"),
    ("Никитин Роман", "genitive", "Никитина Романа"),
    ("ПЕТРОВ АРТЁМ", "dative", "ПЕТРОВУ АРТЁМУ"),
    # Never half inflected: foreign, double-barrelled, a word the dictionary cannot read
    # as a name, one word alone.
    ("Volkov Denis Andreevich", "genitive", "Volkov Denis Andreevich"),
    ("Петров-Водкин Кузьма Сергеевич", "genitive", "Петров-Водкин Кузьма Сергеевич"),
    ("Саша Петров", "genitive", "Саша Петров"),
    ("Петров", "genitive", "Петров"),
    ("Петров Артём", "vocative", "Петров Артём"),
])
def test_a_name_in_the_case_a_letter_needs(written, case, inflected):
    assert names.inflected(written, case) == inflected
