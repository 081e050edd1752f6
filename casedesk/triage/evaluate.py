"""``manage.py triage_evaluate``: casedesk's classifier and the plain baseline trained and
tested on the same stratified folds of any labelled CSV (docs/triage.md)."""

from __future__ import annotations

import warnings
from collections import Counter
from dataclasses import dataclass, field

from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support
from sklearn.model_selection import StratifiedKFold

from .model import Baseline, Classifier


@dataclass
class Result:
    name: str
    truth: list[str] = field(default_factory=list)
    ranked: list[list[str]] = field(default_factory=list)

    @property
    def predicted(self) -> list[str]:
        return [r[0] for r in self.ranked]

    def accuracy(self) -> float:
        return accuracy_score(self.truth, self.predicted)

    def macro_f1(self, labels) -> float:
        return f1_score(self.truth, self.predicted, labels=labels, average="macro",
                        zero_division=0)

    def top(self, k: int = 3) -> float:
        hits = sum(1 for t, r in zip(self.truth, self.ranked, strict=True) if t in r[:k])
        return hits / len(self.truth) if self.truth else 0.0

    def per_class(self, labels):
        return precision_recall_fscore_support(self.truth, self.predicted, labels=labels,
                                               zero_division=0)


@dataclass
class Evaluation:
    folds: int
    tested: list[str]  # classes with at least two examples: in the test folds
    train_only: list[str]  # classes with one example: trained on, never tested
    few: list[str]  # classes with fewer examples than folds
    results: list[Result]
    examples: int


def run(texts: list[str], labels: list[str], *, folds: int = 5, seed: int = 0,
        extra: dict[str, list[str]] | None = None) -> Evaluation:
    """Stratified k-fold of ``texts``/``labels``. A class with a single example is kept in
    every training fold and never tested; a class with fewer examples than folds is
    tested in as many folds as it has examples (each example exactly once). ``extra``:
    the rulebook's own texts of the categories, given to casedesk's model only (as in
    production), never tested."""
    counts = Counter(labels)
    train_only = sorted(c for c, n in counts.items() if n < 2)
    tested_idx = [i for i, label in enumerate(labels) if counts[label] >= 2]
    always = [i for i, label in enumerate(labels) if counts[label] < 2]
    tested_labels = [labels[i] for i in tested_idx]
    biggest = max(Counter(tested_labels).values()) if tested_labels else 0
    folds = max(2, min(folds, biggest))
    few = sorted(c for c, n in counts.items() if 2 <= n < folds)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    ours, base = Result("casedesk"), Result("baseline")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "least populated class" (reported)
        splits = list(splitter.split(tested_idx, tested_labels))
    for train_pos, test_pos in splits:
        train = [tested_idx[p] for p in train_pos] + always
        test = [tested_idx[p] for p in test_pos]
        train_texts, train_labels = [texts[i] for i in train], [labels[i] for i in train]
        test_texts, truth = [texts[i] for i in test], [labels[i] for i in test]
        for result, model in ((ours, Classifier().fit(train_texts, train_labels, extra=extra)),
                              (base, Baseline().fit(train_texts, train_labels))):
            result.truth += truth
            result.ranked += model.rank(test_texts)
    return Evaluation(folds=folds, tested=sorted(set(tested_labels)), train_only=train_only,
                      few=few, results=[ours, base], examples=len(texts))


def report(evaluation: Evaluation) -> list[str]:
    """The printed figures: per model accuracy, macro-F1, top-3 accuracy and a per-class
    table, then the differences."""
    lines = [f"examples: {evaluation.examples}, classes: "
             f"{len(evaluation.tested) + len(evaluation.train_only)}, folds: {evaluation.folds}"]
    if evaluation.few:
        lines.append("classes with fewer examples than folds (tested in fewer folds): "
                     + ", ".join(evaluation.few))
    if evaluation.train_only:
        lines.append("classes with one example (train-only, not tested): "
                     + ", ".join(evaluation.train_only))
    labels = evaluation.tested
    width = max([len(label) for label in labels] + [10])
    summary = {}
    for result in evaluation.results:
        acc, f1, top3 = result.accuracy(), result.macro_f1(labels), result.top(3)
        summary[result.name] = (acc, f1, top3)
        lines += ["", f"== {result.name}",
                  f"accuracy {acc:.4f}", f"macro-F1 {f1:.4f}", f"top-3 accuracy {top3:.4f}",
                  f"{'class':<{width}}  precision  recall      F1  support"]
        precision, recall, f1s, support = result.per_class(labels)
        for i, label in enumerate(labels):
            lines.append(f"{label:<{width}}  {precision[i]:9.4f}  {recall[i]:6.4f}  "
                         f"{f1s[i]:6.4f}  {int(support[i]):7d}")
    ours, base = summary["casedesk"], summary["baseline"]
    lines += ["", "== casedesk - baseline (points)",
              f"accuracy {100 * (ours[0] - base[0]):+.2f}",
              f"macro-F1 {100 * (ours[1] - base[1]):+.2f}",
              f"top-3 accuracy {100 * (ours[2] - base[2]):+.2f}"]
    return lines
