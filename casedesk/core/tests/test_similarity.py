"""Keyed MinHash signatures of texts (core.similarity)."""

from __future__ import annotations

from casedesk.core import similarity

LETTER = ("Уважаемый командир! Я, {applicant}, мать военнослужащего {member}, прошу "
          "сообщить о его местонахождении и состоянии здоровья. Связь с сыном прервалась "
          "в марте, после того как его подразделение перевели в другое место. В части на "
          "мои звонки не отвечают, письма возвращаются. Прошу провести проверку, "
          "сообщить мне письменно о результатах и восстановить выплату денежного "
          "довольствия, которая прекратилась без объяснения причин.")


def estimate(a: str, b: str) -> float:
    return similarity.jaccard(similarity.decode(similarity.signature(a)),
                              similarity.decode(similarity.signature(b)))


def test_the_same_text_has_the_same_signature_whatever_its_markup_and_yo():
    plain = LETTER.format(applicant="Иванова Анна", member="Иванова Петра")
    marked = "<p>" + plain.replace("е", "ё").replace(",", " ,&nbsp;") + "</p>"
    assert similarity.signature(plain) == similarity.signature(marked) != ""


def test_names_inside_a_sentence_are_left_out_and_case_does_not_count():
    assert similarity.words("Я, Иванова Анна, прошу. Прошу ЕЩЁ <b>раз</b>!") == [
        "я", "прошу", "прошу", "еще", "раз"]


def test_a_template_with_other_names_is_near():
    first = LETTER.format(applicant="Иванова Анна Петровна", member="Иванова Петра")
    second = LETTER.format(applicant="Кузнецова Мария Ильинична", member="Кузнецова Андрея")
    assert estimate(first, second) >= 0.8


def test_a_different_text_is_far():
    first = LETTER.format(applicant="Иванова Анна", member="Иванова Петра")
    other = ("Прошу разъяснить порядок получения единовременной выплаты семье "
             "мобилизованного и перечень документов, которые нужно приложить к заявлению; "
             "в военкомате по месту жительства ответить на этот вопрос не смогли.")
    assert estimate(first, other) < 0.3


def test_a_short_text_has_no_signature():
    assert similarity.signature("Прошу помочь сыну.") == ""


def test_the_signature_depends_on_the_key(settings):
    text = LETTER.format(applicant="Иванова Анна", member="Иванова Петра")
    before = similarity.signature(text)
    settings.CASEDESK_BLIND_INDEX_KEY = "v2:" + "A" * 43 + "="
    assert similarity.signature(text) not in ("", before)


def test_bands_leave_out_empty_ones_and_are_numbered():
    raw = similarity.decode(similarity.signature(LETTER.format(applicant="А", member="Б")))
    found = similarity.bands(raw)
    assert 0 < len(found) <= similarity.BANDS
    assert len({band[0] for band in found}) == len(found)
