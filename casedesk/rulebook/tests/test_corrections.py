"""Issue 16 point 3: the corrections of the review, each read back from the real rulebook
with the text and citation the law gives (1-FKZ arts. 17 and 20, 59-FZ arts. 8 and 11,
Decree 647 para 5, Criminal Code arts. 332 part 2.1 and 352.1, 52-FZ art. 11)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings

from casedesk.rulebook import RulebookError
from casedesk.rulebook.loader import load_version

REAL = Path(settings.RULEBOOK_DIR) / "2026.1"


@pytest.fixture(scope="module")
def book():
    return load_version(REAL)


def test_the_commissioner_notice_covers_every_decision_of_art_20(book):
    rule = book.rules["acceptance_notice"]
    assert rule.citation == ("Федеральный конституционный закон от 26.02.1997 № 1-ФКЗ, "
                             "ст. 20, ч. 1–3")
    assert "принятии" not in rule.label.ru and "acceptance" not in rule.label.en
    summary = " ".join(rule.summary.ru.split())
    for decision in ("принимает её к рассмотрению", "разъясняет заявителю средства",
                     "передаёт жалобу", "отказывает в принятии жалобы",
                     "отказ должен быть мотивирован", "в десятидневный срок"):
        assert decision in summary
    assert "explains to the applicant the remedies" in " ".join(rule.summary.en.split())
    assert rule.period.days == 10 and not rule.met_by  # any decision meets it
    assert not rule.verify


def test_the_one_year_limit_cites_art_17_part_1_and_is_confirmed(book):
    limit = book.filing_limits["commissioner_complaint"]
    assert limit.citation.endswith("1-ФКЗ, ст. 17, ч. 1")
    assert limit.period.years == 1 and not limit.verify
    assert book.citation(limit.citation, "en").endswith("art. 17, part 1)")


def test_forwarding_within_seven_days_is_confirmed(book):
    rule = book.rules["forwarding"]
    assert rule.citation.endswith("59-ФЗ, ст. 8, ч. 3") and rule.period.days == 7
    assert not rule.verify


def test_the_grounds_file_no_longer_claims_to_be_the_only_grounds():
    head = (REAL / "grounds.yaml").read_text(encoding="utf-8").split("left_unanswered:")[0]
    assert "The only lawful grounds" not in head
    assert "art. 11 part 2" in head  # says which grounds of art. 11 it does not hold


def test_an_anonymous_report_of_an_offence_is_forwarded(book):
    ground = book.grounds["anonymous_offence_report"]
    assert ground.forward and not ground.notify_applicant
    assert ground.citation.endswith("59-ФЗ, ст. 11, ч. 1")
    assert "направляется в государственный орган" in " ".join(ground.summary.ru.split())
    assert "sent to the state body" in " ".join(ground.summary.en.split())


def test_an_answer_that_would_disclose_a_secret(book):
    ground = book.grounds["state_or_other_secret"]
    assert ground.notify_applicant and not ground.forward
    assert ground.citation.endswith("59-ФЗ, ст. 11, ч. 6")
    assert "охраняемую федеральным законом тайну" in " ".join(ground.notice.ru.split())
    assert "state secret" in ground.notice.en


def test_a_repeated_appeal_needs_the_heads_decision_and_a_notice(book):
    ground = book.grounds["repeated_no_new_arguments"]
    assert ground.head_decides and ground.notify_applicant
    assert ground.citation.endswith("59-ФЗ, ст. 11, ч. 5")
    assert "Руководитель принял решение" in " ".join(ground.notice.ru.split())
    assert "The head of the office has decided" in " ".join(ground.notice.en.split())


def test_family_discharge_states_the_mobilization_limit(book):
    category = book.categories["family_discharge"]
    assert any("№ 647" in b and b.endswith("п. 5") for b in category.basis)
    notes = " ".join(category.notes.ru.split())
    assert "пункт 5 Указа № 647" in notes and "мобилизованного по семейным" in notes
    assert "para 5 of Decree No. 647" in " ".join(category.notes.en.split())
    assert category.verify  # the later rules (fathers of many children) are to be checked


def test_the_refusal_category_cites_332_part_2_1_and_352_1(book):
    basis = book.categories["refusal_legal_question"].basis
    assert "Уголовный кодекс Российской Федерации, ст. 332, ч. 2.1" in basis
    assert "Уголовный кодекс Российской Федерации, ст. 352.1" in basis


def test_insurance_payments_carry_the_15_day_term(book):
    category = book.categories["insurance_payment"]
    assert "Федеральный закон от 28.03.1998 № 52-ФЗ, ст. 11, ч. 3" in category.basis
    assert "15-дневный срок со дня получения документов" in " ".join(category.notes.ru.split())
    assert "within 15 days of receiving the documents" in " ".join(category.notes.en.split())
    assert category.verify


def test_missing_and_captive_cover_status_and_payments(book):
    category = book.categories["missing_captivity"]
    notes = " ".join(category.notes.ru.split())
    assert "ч. 31 ст. 2 Федерального закона № 306-ФЗ" in notes
    assert "не исключается из списков" in notes and "только суд" in notes
    assert any("ст. 352.1" in b for b in category.basis)
    assert any(b.startswith("Гражданский кодекс") for b in category.basis)
    assert category.verify


def test_a_forward_ground_without_its_summary_is_refused(tmp_path):
    import shutil

    folder = tmp_path / "2026.1"
    shutil.copytree(REAL, folder)
    path = folder / "grounds.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index("    summary:")
    end = text.index("    citation:", start)
    path.write_text(text[:start] + text[end:], encoding="utf-8")
    with pytest.raises(RulebookError) as error:
        load_version(folder)
    assert "anonymous_offence_report" in str(error.value)
    assert "summary" in str(error.value)
