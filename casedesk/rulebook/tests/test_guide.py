"""The pathways guide: the rulebook's own test cases, the expression language, the
checks rulebook_check makes on guide.yaml, and the engine the pages call."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.utils import translation

from casedesk import rulebook
from casedesk.rulebook.guide import SECTIONS, Condition, ConditionError
from casedesk.rulebook.loader import load_all, load_version

REAL = Path(settings.RULEBOOK_DIR)
CASES = [(book.version, test) for book in load_all(REAL).values() if book.guide
         for test in book.guide.tests]


# --- the rulebook's test cases ---------------------------------------------------------


@pytest.mark.parametrize(("version", "test"), CASES,
                         ids=[f"{v}:{t.name}" for v, t in CASES])
def test_the_rulebook_test_case_gives_what_it_expects(version, test):
    guide = rulebook.get(version).guide
    assert guide.run_test(test) == []


def test_the_rulebook_has_the_cases_the_issue_asks_for():
    names = {t.name for t in load_version(REAL / "2026.1").guide.tests}
    assert {"mobilized man of 52", "contract soldier given category V",
            "conscript kept past his 12-month term", "not yet called up, three children",
            "asking about leaving the unit"} <= names


def test_the_result_of_a_mobilized_man_of_52_names_its_citations_and_version():
    guide = rulebook.get("2026.1").guide
    answers = {"status": "mobilized", "age": 52, "rank": "soldier", "fitness": "b",
               "vvk": "never_asked", "injured": False, "family": [], "sentenced": False,
               "missing": "no", "goal": "discharge"}
    result = guide.result(answers)
    assert list(result.sections) == list(SECTIONS)
    assert [o.key for o in result.sections["grounds"]] == ["age_limit"]
    assert "53-ФЗ" in result.sections["grounds"][0].citation
    assert "№ 647" in result.sections["grounds"][0].citation
    assert result.version == "2026.1"
    assert "2026.1" in result.disclaimer["ru"] and "2026.1" in result.disclaimer["en"]
    assert "not legal advice" in result.disclaimer["en"]
    assert all(o.citation for section in result.sections.values() for o in section)


# --- the expression language -------------------------------------------------------------


@pytest.mark.parametrize(("text", "answers", "holds"), [
    ("status == 'mobilized'", {"status": "mobilized"}, True),
    ("status != 'mobilized'", {"status": "contract"}, True),
    ("age >= 50 and age < 60", {"age": 50}, True),
    ("age > 50", {"age": 50}, False),
    ("age <= 30 or rank == \"general\"", {"age": 40, "rank": "general"}, True),
    ("not injured", {"injured": False}, True),
    ("injured", {}, False),
    ("age > 50", {}, False),  # unanswered is null; an order comparison with null is false
    ("age == null", {}, True),
    ("status in ['a', 'b']", {"status": "b"}, True),
    ("status not in ['a', 'b']", {"status": "c"}, True),
    ("'kids' in family", {"family": ["kids", "care"]}, True),
    ("'kids' not in family", {"family": ["care"]}, True),
    ("family == []", {"family": []}, True),
    ("since >= '2022-09-21'", {"since": "2022-10-01"}, True),
    ("not (a == 1 or b == 2) and c", {"a": 3, "b": 3, "c": True}, True),
    ("age > 'x'", {"age": 3}, False),  # values of different kinds never compare
    ("flag == true", {"flag": True}, True),
])
def test_a_condition_evaluates(text, answers, holds):
    assert Condition.parse(text).holds(answers) is holds


@pytest.mark.parametrize("text", [
    "status.__class__",
    "status.lower",
    "__import__('os')",
    "_x == 1",
    "open('f')",
    "len(family) > 1",
    "family[0] == 'a'",
    "().__class__.__bases__",
    "status == 'a' ; x",
    "age + 1 > 3",
    "lambda: 1",
    "[x for x in family]",
    "status == 'a' if age else 'b'",
    "Status == 'a'",
    "status ==",
    "",
    "(status == 'a'",
    "'\\x41' == status",
    "status in [age]",
])
def test_the_language_refuses_what_it_does_not_have(text):
    with pytest.raises(ConditionError):
        Condition.parse(text)


def test_a_condition_names_the_answers_it_reads():
    condition = Condition.parse("status == 'a' and (age > 3 or 'x' in family)")
    assert condition.names == {"status", "age", "family"}


# --- rulebook_check on guide.yaml ---------------------------------------------------------


@pytest.fixture
def copy(tmp_path):
    folder = tmp_path / "rb" / "2026.1"
    shutil.copytree(REAL / "2026.1", folder)
    path = folder / "guide.yaml"

    def edit(old: str, new: str) -> int:
        """Replace ``old``; return the line (1-based) where it stood."""
        text = path.read_text(encoding="utf-8")
        assert text.count(old) == 1, old
        line = text[:text.index(old)].count("\n") + 1
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
        return line

    return folder, edit


def check(folder: Path) -> str:
    with pytest.raises(CommandError) as info:
        call_command("rulebook_check", str(folder.parent))
    return str(info.value)


def test_the_real_guide_passes_rulebook_check(capsys):
    call_command("rulebook_check")
    assert "test cases pass" in capsys.readouterr().out


def test_a_question_that_can_never_be_asked_is_refused_with_file_and_line(copy):
    folder, edit = copy
    line = edit("""ask_if: "goal == 'refuse_or_leave' and status != 'not_called'\"""",
                """ask_if: "goal == 'refuse_or_leave' and goal == 'discharge'\"""")
    message = check(folder)
    assert f"guide.yaml, line {line}, rule 'absent'" in message
    assert "can never be asked" in message


def test_a_question_under_a_condition_no_earlier_answer_allows_is_refused(copy):
    # rank is asked only for mobilized, contract and volunteer: a conscript never has one
    folder, edit = copy
    line = edit("""ask_if: "status == 'conscript'\"""",
                """ask_if: "status == 'conscript' and rank == 'colonel'\"""")
    message = check(folder)
    assert f"guide.yaml, line {line}, rule 'term_served'" in message
    assert "can never be asked" in message


def test_an_outcome_without_a_citation_is_refused_with_file_and_line(copy):
    folder, edit = copy
    line = edit('    citation: "Федеральный закон от 17.01.1992 № 2202-1, ст. 10, ст. 46"\n',
                "")
    message = check(folder)
    assert "guide.yaml, line" in message and "rule 'alt_prosecutor'" in message
    assert "citation: Field required" in message
    number = int(re.search(r"line (\d+)", message).group(1))
    text = (folder / "guide.yaml").read_text(encoding="utf-8").splitlines()
    assert number < line and "key: alt_prosecutor" in text[number - 1]


def test_a_citation_of_an_act_not_in_acts_yaml_is_refused(copy):
    folder, edit = copy
    line = edit("    act: prosecutor_law\n", "    act: prosecutors\n")
    message = check(folder)
    assert f"guide.yaml, line {line}, rule 'alt_prosecutor'" in message
    assert "no act 'prosecutors' in acts.yaml" in message


def test_a_citation_that_names_no_known_act_is_refused(copy):
    folder, edit = copy
    edit("    act: prosecutor_law\n", "")
    line = edit('"Федеральный закон от 17.01.1992 № 2202-1, ст. 10, ст. 46"',
                '"Закон о прокуратуре, ст. 10"')
    message = check(folder)
    assert f"guide.yaml, line {line}, rule 'alt_prosecutor'" in message


@pytest.mark.parametrize(("old", "new", "problem"), [
    ("""when: "status == 'volunteer'\"""", """when: "status == 'volunter'\"""",
     "'status' has no option 'volunter'"),
    ("""when: "status == 'volunteer'\"""", """when: "rnak == 'general'\"""",
     "'rnak', which is no question"),
    ("""ask_if: "status == 'conscript'\"""", """ask_if: "goal == 'discharge'\"""",
     "'goal', which is not asked before this question"),
    ("""when: "status == 'volunteer'\"""", """when: "status.__class__\"""",
     "the condition cannot be read"),
    ("""when: "status == 'volunteer'\"""",
     """when: "status == 'volunteer' and status == 'conscript'\"""",
     "this outcome can never be shown"),
])
def test_a_wrong_condition_is_refused_with_its_line(copy, old, new, problem):
    folder, edit = copy
    line = edit(old, new)
    message = check(folder)
    assert f"guide.yaml, line {line}" in message
    assert problem in message


def test_a_failing_test_case_fails_rulebook_check(copy):
    folder, edit = copy
    edit("      grounds: [age_limit]\n", "      grounds: [health_discharge]\n")
    message = check(folder)
    assert "guide.yaml, line" in message and "rule 'mobilized man of 52'" in message
    assert "test case fails" in message


def test_a_test_case_with_an_unknown_answer_is_refused(copy):
    folder, edit = copy
    line = edit("answers: {status: mobilized, age: 52,",
                "answers: {status: mobilised, age: 52,")
    message = check(folder)
    assert f"guide.yaml, line {line}" in message and "status: not one of its options" \
        in message


# --- the engine the pages call ----------------------------------------------------------


@pytest.fixture
def guide():
    return rulebook.get("2026.1").guide


def test_questions_come_in_order_and_skip_what_does_not_apply(guide):
    assert guide.next_question({}).key == "status"
    answers = {"status": "not_called", "age": 30, "fitness": "a", "family": [],
               "missing": "no"}
    assert guide.next_question(answers).key == "goal"
    answers["goal"] = "deferment"
    assert guide.next_question(answers) is None
    assert [q.key for q in guide.asked(answers)] == [
        "status", "age", "fitness", "family", "missing", "goal"]


def test_answers_to_questions_no_longer_asked_are_dropped(guide):
    # a contract soldier answered "rank", then went back and said he is not called up
    answers = {"status": "not_called", "age": 40, "rank": "general", "fitness": "a"}
    assert "rank" not in [q.key for q in guide.asked(answers)]
    result = guide.result({**answers, "family": [], "missing": "no", "goal": "other"})
    assert "age_limit" not in [o.key for o in result.sections["grounds"]]


@pytest.mark.parametrize(("key", "raw", "value"), [
    ("status", ["contract"], "contract"),
    ("family", ["sole_parent", "many_children"], ["many_children", "sole_parent"]),
    ("family", [], []),
    ("injured", ["yes"], True),
    ("injured", ["no"], False),
    ("age", ["52"], 52),
    ("service_since", ["21.09.2022"], "2022-09-21"),
    ("service_since", ["2022-09-21"], "2022-09-21"),
])
def test_posted_values_become_answers(guide, key, raw, value):
    assert guide.parse(guide.questions[key], raw) == value


@pytest.mark.parametrize(("language", "key", "raw", "message"), [
    ("en", "status", ["general"], "Choose from the options shown."),
    ("ru", "status", [], "Пожалуйста, ответьте на вопрос."),
    ("en", "age", ["fifty"], "Enter a whole number."),
    ("en", "age", ["300"], "This number is out of range."),
    ("ru", "service_since", ["31.02.2022"], "Введите дату в виде ДД.ММ.ГГГГ."),
    ("en", "family", ["everything"], "Choose from the options shown."),
])
def test_invalid_posted_values_are_refused_in_the_active_language(guide, language, key, raw,
                                                                  message):
    with translation.override(language), pytest.raises(ValueError) as info:
        guide.parse(guide.questions[key], raw)
    assert str(info.value) == message


def test_answers_read_back_in_both_languages(guide):
    assert guide.questions["fitness"].label("v", "ru") == "В — ограниченно годен"
    assert guide.questions["fitness"].label("v", "en") == "V — of limited fitness"
    assert guide.questions["injured"].label(True, "ru") == "Да"
    assert [o.value for o in guide.questions["injured"].options] == ["yes", "no"]
    assert guide.questions["service_since"].label("2022-09-21", "ru") == "21.09.2022"
    assert guide.questions["family"].label([], "en") == "—"


def test_old_answers_are_read_with_the_version_they_were_given_under(tmp_path):
    # a later version changes the age limit; answers given under 2026.1 keep its result
    shutil.copytree(REAL / "2026.1", tmp_path / "2026.1")
    newer = tmp_path / "2027.1"
    shutil.copytree(REAL / "2026.1", newer)
    manifest = newer / "rulebook.yaml"
    manifest.write_text(manifest.read_text(encoding="utf-8")
                        .replace("version: \"2026.1\"", "version: \"2027.1\"")
                        .replace("version: 2026.1", "version: 2027.1")
                        .replace("effective_from: 2026-01-01", "effective_from: 2027-01-01"),
                        encoding="utf-8")
    guide_file = newer / "guide.yaml"
    guide_file.write_text(guide_file.read_text(encoding="utf-8").replace(
        "'senior_officer'] and age >= 50)", "'senior_officer'] and age >= 55)"),
        encoding="utf-8")
    (newer / "guide.yaml").write_text(
        guide_file.read_text(encoding="utf-8").replace("grounds: [age_limit]\n",
                                                       "grounds: []\n"), encoding="utf-8")
    rulebook.load(tmp_path)
    try:
        answers = {"status": "mobilized", "age": 52, "rank": "soldier", "fitness": "b",
                   "family": [], "missing": "no", "goal": "discharge"}
        old = rulebook.get("2026.1").guide.result(answers)
        new = rulebook.get("2027.1").guide.result(answers)
        assert [o.key for o in old.sections["grounds"]] == ["age_limit"]
        assert new.sections["grounds"] == [] and new.version == "2027.1"
        assert rulebook.version("2026.1").guide.result(answers) == old
    finally:
        rulebook.load()


def test_a_guide_built_in_code_behaves_like_one_from_the_rulebook():
    # what a test of the pages may build without a rulebook folder
    from casedesk.rulebook.guide import Guide, Option, Outcome, Question

    status = Question(key="status", kind="choice", text={"ru": "Статус?", "en": "Status?"},
                      help={}, options=(Option("a", {"ru": "А", "en": "A"}),
                                        Option("b", {"ru": "Б", "en": "B"})))
    injured = Question(key="injured", kind="yesno", text={"ru": "Ранен?", "en": "Hurt?"},
                       help={}, options=(), ask_if=Condition.parse("status == 'a'"))
    ground = Outcome(key="g", section="grounds", title={"ru": "т", "en": "t"},
                     text={"ru": "т", "en": "t"}, citation="ст. 1", verify=False,
                     when=Condition.parse("injured"), category="other")
    guide = Guide(version="test", questions={"status": status, "injured": injured},
                  outcomes=[ground], disclaimer={"ru": "{version}", "en": "{version}"})
    assert guide.next_question({"status": "b"}) is None
    assert guide.next_question({"status": "a"}).key == "injured"
    result = guide.result({"status": "a", "injured": True})
    assert result.sections["grounds"] == [ground] and result.category == "other"
    assert result.disclaimer == {"ru": "test", "en": "test"}
