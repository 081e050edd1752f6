"""The classifier alone (no database): the form chosen by cross-validation on the
training texts, and the words and scores of a suggestion."""

from __future__ import annotations

import random

import pytest

from casedesk.triage.model import Classifier

TOPICS = {
    "pay": "денежное довольствие не выплачивают боевые не начислены задержка выплат",
    "medical": "не направляют на комиссию после ранения госпиталь выписал без лечения",
    "missing": "пропал без вести связи с сыном нет возможно находится в плену",
    "leave": "отпуск не предоставляют ротации нет полтора года без отдыха",
}


def mixed(seed: int, per_class: int = 12) -> tuple[list[str], list[str]]:
    """Each text: most of its own topic first, then most of another one (as the noisy set
    of docs/triage.md): only the order says which is the appeal's."""
    rng = random.Random(seed)
    texts, labels = [], []
    for label, words in TOPICS.items():
        for _i in range(per_class):
            other = rng.choice([t for t in TOPICS if t != label])
            own = [w for w in words.split() if rng.random() < 0.7]
            rest = [w for w in TOPICS[other].split() if rng.random() < 0.7]
            texts.append(" ".join(own + rest))
            labels.append(label)
    return texts, labels


def test_the_opening_form_is_chosen_where_the_topic_comes_first():
    texts, labels = mixed(1)
    model = Classifier().fit(texts, labels)
    assert model.form == "opening"
    assert model.form_scores["opening"] > model.form_scores["whole"]
    both = TOPICS["pay"] + " " + TOPICS["medical"]
    assert model.suggest(both)[0].category == "pay"
    assert model.suggest(TOPICS["medical"] + " " + TOPICS["pay"])[0].category == "medical"


def test_the_whole_text_form_has_no_opening_features_and_averages_naive_bayes():
    texts, labels = mixed(1)
    model = Classifier(form="whole").fit(texts, labels)
    assert model.opening is None and model.nb is not None and model.nb_share > 0
    assert Classifier(form="opening").fit(texts, labels).nb is None


def test_few_texts_take_the_whole_text_form_without_cross_validation():
    model = Classifier().fit(["не платят довольствие", "пропал без вести"] * 3,
                             ["pay", "missing"] * 3)
    assert model.form == "whole" and model.form_scores == {}


@pytest.mark.parametrize("form", ["opening", "whole"])
def test_a_suggestion_has_scores_that_sum_to_one_and_the_words_of_the_text(form):
    texts, labels = mixed(2)
    model = Classifier(form=form).fit(texts, labels)
    text = "<p>Денежное довольствие не выплачивают, боевые не начислены.</p>"
    guesses = model.suggest(text, k=len(model.classes))
    assert guesses[0].category == "pay"
    assert sum(g.score for g in guesses) == pytest.approx(1.0, abs=1e-5)
    assert guesses[0].reasons and all(w in text.lower() for w in guesses[0].reasons)


@pytest.mark.parametrize("form", ["opening", "whole"])
def test_two_classes(form):
    texts, labels = mixed(3)
    keep = [i for i, label in enumerate(labels) if label in ("pay", "missing")]
    model = Classifier(form=form).fit([texts[i] for i in keep], [labels[i] for i in keep])
    guesses = model.suggest(TOPICS["missing"])
    assert [g.category for g in guesses] == ["missing", "pay"]
    assert guesses[0].score > 0.5 and guesses[0].reasons


def test_one_big_class_among_pairs_takes_the_whole_text_form():
    texts, labels = mixed(4)
    labels = [label if label == "pay" else f"{label}{i // 2}" for i, label in enumerate(labels)]
    model = Classifier().fit(texts, labels)
    assert model.form == "whole" and model.form_scores == {}


def test_the_reasons_are_words_that_carry_a_topic():
    """The word features keep «об», «мой», «года», «двух», «больше» (they help the
    scores), but a clerk is shown the words that say what the appeal is about."""
    filler = "мой сын уже больше двух года об этом пишет"
    texts, labels = [], []
    for label, words in TOPICS.items():
        for i in range(8):
            texts.append(f"{filler} {words}" if i % 2 else f"{words} {filler}")
            labels.append(label)
    model = Classifier(form="whole").fit(texts, labels)
    text = "Мой сын уже больше двух года об этом пишет: денежное довольствие не выплачивают."
    guesses = model.suggest(text, k=len(model.classes))
    shown = {w for g in guesses for w in g.reasons}
    assert guesses[0].category == "pay" and guesses[0].reasons
    assert not shown & {"мой", "об", "года", "двух", "больше", "этом", "уже", "не"}, shown
    assert shown <= set(text.lower().replace(":", " ").replace(".", " ").split())
