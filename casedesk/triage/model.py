"""The category classifier of appeals, the rules that stand in for it until an office has
enough confirmed cases, and the plain baseline they are measured against (docs/triage.md).

Everything here is pure computation on texts and labels: no database, no personal data
kept beyond what a trained model's vocabulary holds (min_df=2: a word seen in one appeal
only, such as most names, is not kept).
"""

from __future__ import annotations

import math
import random
import warnings
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import StratifiedKFold
from sklearn.naive_bayes import ComplementNB
from sklearn.pipeline import FeatureUnion, make_pipeline
from sklearn.svm import LinearSVC

from .text import lemmas, prepare, reason_word

TOP = 3
REASONS = 5
NB_SHARE = 0.5  # the complement Naive Bayes part of the whole-text form's scores
SOFTMAX = 5.0  # margins of the SVM to scores: softmax(SOFTMAX * margin)
OPENING = 0.5  # the share of a text's words read again as its opening
WORD_PATTERN = r"(?u)\b[^\W\d_][^\W\d_]+\b"  # words of two letters or more, no digits


@dataclass
class Guess:
    category: str
    subcategory: str
    score: float  # 0..1
    reasons: list[str] = field(default_factory=list)  # words of the text


def _surface(prepared: str) -> dict[str, str]:
    """lemma -> the first word of the text with that lemma (to show reasons as written)."""
    out: dict[str, str] = {}
    for found, word in lemmas(prepared):
        out.setdefault(found, word)
    return out


def category_texts(book) -> dict[str, list[str]]:
    """The rulebook's own words for each category (label and description in both
    languages, with the labels of its sub-categories): extra training examples, and the
    keywords of the rules."""
    out = {}
    for category in book.categories.values():
        parts = [category.label.ru, category.label.en, category.description.ru,
                 category.description.en]
        parts += [f"{s.label.ru} {s.label.en}" for s in category.subcategories]
        out[category.code] = [" ".join(parts)]
    return out


def _char_vectorizer() -> TfidfVectorizer:
    return TfidfVectorizer(analyzer="char", ngram_range=(2, 5), min_df=1, sublinear_tf=True,
                           max_features=300_000, dtype=np.float32)


def _opening(prepared: str) -> str:
    """The first half (OPENING) of a prepared text's words."""
    words = prepared.split()
    return " ".join(words[: max(1, round(len(words) * OPENING))])


def subcategory_texts(book) -> dict[str, dict[str, str]]:
    return {c.code: {s.code: f"{s.label.ru} {s.label.en}" for s in c.subcategories}
            for c in book.categories.values() if c.subcategories}


# ---------------------------------------------------------------------------- the model


class Classifier:
    """TF-IDF of word 1-2-grams and of character 2-5-grams of the prepared text (no HTML,
    lower case, ё as е), into a linear SVM (balanced class weights: rare categories
    count), trained on the confirmed cases and the rulebook's description of each
    category. One of two forms, chosen at training time by a 3-fold cross-validation on
    the training cases alone (accuracy + macro-F1, the figures of issue 19):

    - *opening*: the same features plus the character 2-5-grams of the first half of the
      text's words, so that what an appeal opens with can count more than what it
      mentions later (on the noisy set of docs/triage.md, where the appeal's own topic
      comes first and another one follows, it is what beats the baseline);
    - *whole text*: no opening features, the SVM's scores averaged with a complement
      Naive Bayes on the characters (better on the rare classes where the order of a
      text says nothing).

    The scores are the softmax of the SVM's margins (averaged with Naive Bayes in the
    second form): a share, not a calibrated probability. The words of a suggestion are
    the word features of the text that pushed that category up the most.

    Measured (docs/triage.md): lemmas as extra features, characters within word
    boundaries (char_wb) and logistic regression did worse than these; min_df=2 on the
    words (a word seen in one text only, such as most names, is dropped) costs a point or
    so and is kept for privacy; on the character fragments it cost two points of
    macro-F1."""

    source = "model"
    FORMS = {"whole": NB_SHARE, "opening": 0.0}  # form -> Naive Bayes share; ties: whole
    CHOOSE_MIN = 30  # fewer texts (or < 2 classes of 3): no cross-validation, whole text
    CHOOSE_MAX = 2000  # the form is chosen on a random sample of at most so many texts

    def __init__(self, *, c: float = 1.0, min_df: int = 2, form: str | None = None):
        self.c = c
        self.min_df = min_df
        self.form = form  # None: chosen by cross-validation in fit
        self.form_scores: dict[str, float] = {}
        self.subcentroids: dict[str, tuple[list[str], object]] = {}

    def fit(self, texts: list[str], labels: list[str], *,
            extra: dict[str, list[str]] | None = None,
            subs: list[str] | None = None,
            sub_texts: dict[str, dict[str, str]] | None = None) -> Classifier:
        if self.form is None:
            self.form, self.form_scores = self._choose(texts, labels, extra)
        self.nb_share = self.FORMS[self.form]
        prepared = [prepare(t) for t in texts]
        y = list(labels)
        for label, examples in (extra or {}).items():
            if label in set(labels):  # a category nobody confirmed stays unknown
                prepared += [prepare(e) for e in examples]
                y += [label] * len(examples)
        min_df = self.min_df if len(prepared) >= 20 else 1
        self.words = TfidfVectorizer(ngram_range=(1, 2), min_df=min_df, sublinear_tf=True,
                                     token_pattern=WORD_PATTERN, dtype=np.float32)
        self.chars = _char_vectorizer()
        self.opening = _char_vectorizer() if self.form == "opening" else None
        xw = self.words.fit_transform(prepared)
        xc = self.chars.fit_transform(prepared)
        blocks = [xw, xc]
        if self.opening is not None:
            blocks.append(self.opening.fit_transform([_opening(p) for p in prepared]))
        self.clf = LinearSVC(C=self.c, class_weight="balanced")
        self.clf.fit(sparse.hstack(blocks).tocsr(), y)
        self.nb = ComplementNB(alpha=0.3).fit(xc, y) if self.nb_share else None
        self.classes = [str(c) for c in self.clf.classes_]
        self.n_words = xw.shape[1]
        self.vocabulary = self.words.get_feature_names_out()
        self._subs_fit(xw[: len(texts)], labels, subs or [""] * len(texts), sub_texts or {})
        return self

    def _choose(self, texts, labels, extra) -> tuple[str, dict[str, float]]:
        """The form with the better accuracy + macro-F1 over a stratified 3-fold of the
        training texts (the rulebook's texts added to each training part, never tested);
        of CHOOSE_MAX of them at most, so that it costs six fits of that size at most."""
        if len(texts) > self.CHOOSE_MAX:
            keep = sorted(random.Random(0).sample(range(len(texts)), self.CHOOSE_MAX))
            texts, labels = [texts[i] for i in keep], [labels[i] for i in keep]
        if len(texts) < self.CHOOSE_MIN or sum(1 for n in Counter(labels).values()
                                                if n >= 3) < 2:
            return "whole", {}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # classes smaller than 3
            splits = list(StratifiedKFold(n_splits=3, shuffle=True, random_state=0)
                          .split(texts, labels))
        scores = {}
        for form in self.FORMS:
            truth, predicted = [], []
            for train, test in splits:
                model = Classifier(c=self.c, min_df=self.min_df, form=form).fit(
                    [texts[i] for i in train], [labels[i] for i in train], extra=extra)
                predicted += [r[0] for r in model.rank([texts[i] for i in test])]
                truth += [labels[i] for i in test]
            scores[form] = (accuracy_score(truth, predicted)
                            + f1_score(truth, predicted, average="macro", zero_division=0))
        return max(self.FORMS, key=lambda form: scores[form]), scores

    def _subs_fit(self, xw, labels, subs, sub_texts) -> None:
        """A centroid per sub-category, from its confirmed cases and its label."""
        rows = defaultdict(list)
        for i, (label, sub) in enumerate(zip(labels, subs, strict=True)):
            if sub:
                rows[(label, sub)].append(xw[i])
        self.subcentroids = {}
        for category, names in sub_texts.items():
            codes, vectors = [], []
            for code, label_text in names.items():
                own = self.words.transform([prepare(label_text)])
                stack = sparse.vstack([own, *rows.get((category, code), [])])
                mean = sparse.csr_matrix(stack.mean(axis=0))
                norm = sparse.linalg.norm(mean) or 1.0
                codes.append(code)
                vectors.append(mean / norm)
            self.subcentroids[category] = (codes, sparse.vstack(vectors).tocsr())

    def _scores(self, prepared: list[str], xw, xc) -> np.ndarray:
        # getattr: a model stored before the forms (logistic regression and Naive Bayes,
        # no opening) still suggests until the nightly training replaces it.
        blocks = [xw, xc]
        if getattr(self, "opening", None) is not None:
            blocks.append(self.opening.transform([_opening(p) for p in prepared]))
        margins = self.clf.decision_function(sparse.hstack(blocks).tocsr())
        if margins.ndim == 1:  # two classes: one margin, for the second
            margins = np.column_stack([-margins, margins])
        scores = np.exp(SOFTMAX * (margins - margins.max(axis=1, keepdims=True)))
        scores /= scores.sum(axis=1, keepdims=True)
        share = getattr(self, "nb_share", NB_SHARE)
        if share:
            scores = (1 - share) * scores + share * self.nb.predict_proba(xc)
        return scores

    def proba(self, texts: list[str]) -> np.ndarray:
        prepared = [prepare(t) for t in texts]
        return self._scores(prepared, self.words.transform(prepared),
                            self.chars.transform(prepared))

    def suggest(self, text: str, k: int = TOP) -> list[Guess]:
        prepared = prepare(text)
        xw = self.words.transform([prepared])
        proba = self._scores([prepared], xw, self.chars.transform([prepared]))[0]
        out = []
        for index in np.argsort(-proba)[:k]:
            category = self.classes[index]
            out.append(Guess(category, self._sub(category, xw), float(proba[index]),
                             self._reasons(index, xw)))
        return out

    def _coef(self, index: int) -> np.ndarray:
        coef = self.clf.coef_
        if coef.shape[0] == 1:  # two classes: one row, for the second
            return coef[0] if index == 1 else -coef[0]
        return coef[index]

    def _reasons(self, index: int, xw) -> list[str]:
        row = xw.tocoo()
        weights = self._coef(index)[: self.n_words]
        scored = sorted(((value * weights[col], col) for col, value in
                         zip(row.col, row.data, strict=True)), reverse=True)
        words: list[str] = []
        for contribution, col in scored:
            if contribution <= 0 or len(words) >= REASONS:
                break
            for word in str(self.vocabulary[col]).split(" "):
                # Function words and numerals weigh in the scores but explain nothing.
                if word not in words and len(words) < REASONS and reason_word(word):
                    words.append(word)
        return words

    def _sub(self, category: str, xw) -> str:
        known = self.subcentroids.get(category)
        if known is None or xw.nnz == 0:
            return ""
        codes, centroids = known
        similarity = (centroids @ xw.T).toarray().ravel()
        best = int(np.argmax(similarity))
        return codes[best] if similarity[best] > 0 else ""

    def rank(self, texts: list[str]) -> list[list[str]]:
        """The classes of each text, best first (for top-k figures)."""
        proba = self.proba(texts)
        return [[self.classes[i] for i in np.argsort(-row)] for row in proba]


# ---------------------------------------------------------------------------- the rules


class Rules:
    """Until an office has confirmed enough cases: the categories whose rulebook words
    (label, description, sub-category labels, as lemmas) the text shares, each word
    weighted by how few categories use it. The words of a suggestion are those matched."""

    source = "rules"

    def __init__(self, book):
        self.version = book.version
        keywords: dict[str, set[str]] = {}
        for code, parts in category_texts(book).items():
            keywords[code] = {found for found, _w in lemmas(prepare(" ".join(parts)))
                              if len(found) > 3}
        count = len(keywords) or 1
        frequency: dict[str, int] = defaultdict(int)
        for words in keywords.values():
            for word in words:
                frequency[word] += 1
        self.weights = {code: {w: math.log(1 + count / frequency[w]) for w in words}
                        for code, words in keywords.items()}
        self.subs = {code: {sub: {found for found, _w in lemmas(prepare(label))
                                  if len(found) > 3}
                            for sub, label in names.items()}
                     for code, names in subcategory_texts(book).items()}

    def suggest(self, text: str, k: int = TOP) -> list[Guess]:
        prepared = prepare(text)
        surface = _surface(prepared)
        seen = set(surface)
        scores = []
        for code, weights in self.weights.items():
            matched = sorted((w for w in seen if w in weights), key=lambda w: -weights[w])
            if matched:
                scores.append((sum(weights[w] for w in matched), code, matched))
        total = sum(s for s, _c, _m in scores)
        scores.sort(key=lambda item: (-item[0], item[1]))
        out = []
        for score, code, matched in scores[:k]:
            sub = ""
            overlaps = [(len(words & seen), name) for name, words in
                        self.subs.get(code, {}).items()]
            if overlaps and max(overlaps)[0] > 0:
                sub = max(overlaps)[1]
            out.append(Guess(code, sub, score / total,
                             [surface[w] for w in matched[:REASONS]]))
        return out


# ---------------------------------------------------------------------------- baseline


def _baseline_union() -> FeatureUnion:
    return FeatureUnion([
        ("words", TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True)),
        ("chars", TfidfVectorizer(analyzer="char", ngram_range=(2, 5), sublinear_tf=True,
                                  max_features=300_000)),
    ])


class Baseline:
    """The plain baseline of issue 19: TF-IDF of words 1-2 and characters 2-5 of the raw
    text into a linear SVM; ranked by its decision function."""

    def fit(self, texts, labels, **_ignored) -> Baseline:
        self.pipeline = make_pipeline(_baseline_union(), LinearSVC())
        self.pipeline.fit(texts, labels)
        self.classes = [str(c) for c in self.pipeline.classes_]
        return self

    def rank(self, texts: list[str]) -> list[list[str]]:
        scores = self.pipeline.decision_function(texts)
        if scores.ndim == 1:  # two classes
            return [[self.classes[1], self.classes[0]] if s > 0 else
                    [self.classes[0], self.classes[1]] for s in scores]
        return [[self.classes[i] for i in np.argsort(-row)] for row in scores]
