"""``manage.py triage_evaluate`` on a generated labelled CSV: texts with HTML, typos and
mixed Russian and English, a rare class and a class of one example; both models' figures
are printed (which one wins is not asserted: that is measured, docs/triage.md)."""

from __future__ import annotations

import csv
import random
import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

TOPICS = {
    "pay": ["денежное довольствие не выплачивают", "no salary paid since May",
            "боевые выплаты не начислены", "задержка зарплаты в части"],
    "medical": ["не направляют на ВВК после ранения", "military medical commission refused",
                "госпиталь выписал без лечения", "нужна операция, командир не отпускает"],
    "missing": ["пропал без вести", "missing in action since spring", "возможно в плену",
                "нет связи с сыном три месяца"],
    "rare": ["вычеркнули из списков части по ошибке", "запись о СОЧ в военном билете",
             "ошибочная запись в личном деле"],
    "single": ["коллективное обращение жён мобилизованных"],
}
FILLER = ["Прошу помочь.", "Please help us.", "Очень ждём ответа!", "Спасибо.", ""]


def typo(rng: random.Random, text: str) -> str:
    if len(text) < 6:
        return text
    i = rng.randrange(1, len(text) - 2)
    return text[:i] + text[i + 1] + text[i] + text[i + 2:]


def generated(path, seed: int = 7) -> None:
    rng = random.Random(seed)
    counts = {"pay": 14, "medical": 12, "missing": 10, "rare": 3, "single": 1}
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "body", "label"])
        n = 0
        for label, count in counts.items():
            for _i in range(count):
                phrases = rng.sample(TOPICS[label], k=min(2, len(TOPICS[label])))
                text = " ".join([typo(rng, p) for p in phrases] + [rng.choice(FILLER)])
                if rng.random() < 0.4:
                    text = f"<p>{text}</p><br>&nbsp;<b>Иванова&nbsp;А.</b>"
                n += 1
                writer.writerow([n, text, label])


NUMBER = r"\d+\.\d{4}"


def test_it_prints_both_models_with_a_per_class_table(tmp_path, db):
    path = tmp_path / "labelled.csv"
    generated(path)
    out = StringIO()
    call_command("triage_evaluate", "--csv", str(path), "--text-column", "body",
                 "--label-column", "label", "--folds", "5", "--seed", "3", stdout=out)
    text = out.getvalue()
    assert "examples: 40, classes: 5, folds: 5" in text
    assert "fewer examples than folds (tested in fewer folds): rare" in text
    assert "one example (train-only, not tested): single" in text
    for name in ("casedesk", "baseline"):
        block = text.split(f"== {name}\n", 1)[1].split("\n\n", 1)[0]
        for measure in ("accuracy", "macro-F1", "top-3 accuracy"):
            value = float(re.search(rf"^{measure} ({NUMBER})$", block, re.M).group(1))
            assert 0.0 <= value <= 1.0
        rows = re.findall(rf"^(\w+)\s+({NUMBER})\s+({NUMBER})\s+({NUMBER})\s+(\d+)$",
                          block, re.M)
        assert {r[0] for r in rows} == {"pay", "medical", "missing", "rare"}
        assert {r[0]: int(r[4]) for r in rows} == {"pay": 14, "medical": 12, "missing": 10,
                                                    "rare": 3}
    diff = text.split("== casedesk - baseline (points)\n", 1)[1]
    for measure in ("accuracy", "macro-F1", "top-3 accuracy"):
        assert re.search(rf"^{measure} [+-]\d+\.\d\d$", diff, re.M)


def test_a_wrong_column_is_named(tmp_path, db):
    path = tmp_path / "labelled.csv"
    generated(path)
    with pytest.raises(CommandError, match="no such column: text"):
        call_command("triage_evaluate", "--csv", str(path), "--text-column", "text",
                     "--label-column", "label")
