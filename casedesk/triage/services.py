"""Category suggestions: training a model per rulebook version, suggesting for new cases,
and recording what staff decided (docs/triage.md)."""

from __future__ import annotations

import io
import logging
import threading
from collections import Counter
from dataclasses import dataclass

import joblib
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from casedesk import rulebook
from casedesk.audit.services import audit_record, audit_record_many
from casedesk.cases import permissions
from casedesk.cases.models import Appeal, Case
from casedesk.cases.services import case_reclassify
from casedesk.core import crypto
from casedesk.core.errors import ApplicationError
from casedesk.core.states import CaseState

from .model import Classifier, Rules, category_texts, subcategory_texts
from .models import Decision, Source, Suggestion, TriageModel

logger = logging.getLogger(__name__)

_AAD = "triage.model"
_lock = threading.Lock()
_loaded: dict[str, tuple[int, Classifier]] = {}
_rules: dict[str, Rules] = {}


# ---------------------------------------------------------------------------- texts


def case_texts(case_ids: list[int]) -> dict[int, str]:
    """The text of each case for the classifier: its appeals' texts and requests, oldest
    first (decrypted; an erased appeal reads empty)."""
    appeals = list(Appeal.objects.filter(case_id__in=case_ids)
                   .select_related("submitter").order_by("received_at", "pk")
                   .only("case_id", "text", "request", "submitter__key_id"))
    crypto.keys_prefetch({a.submitter.key_id for a in appeals if a.submitter.key_id})
    out: dict[int, list[str]] = {}
    for appeal in appeals:
        out.setdefault(appeal.case_id, []).extend([appeal.text or "", appeal.request or ""])
    return {pk: "\n".join(t for t in parts if t) for pk, parts in out.items()}


# ---------------------------------------------------------------------------- training


@dataclass
class TrainingSet:
    texts: list[str]
    labels: list[str]
    subs: list[str]
    case_ids: list[int]


def training_set(version: str) -> TrainingSet:
    """The confirmed cases of ``version``: registered by staff, or whose category a person
    decided on its suggestions (accepted or chose another); their current category."""
    book = rulebook.get(version)
    cases = (Case.objects.filter(rulebook_version=version)
             .filter(Q(registered_at__isnull=False) | Q(triage_decisions__isnull=False))
             .filter(category__in=list(book.categories)).distinct()
             .order_by("-received_at").values_list("pk", "category", "subcategory")
             [: settings.CASEDESK_TRIAGE_MAX_EXAMPLES])
    rows = list(cases)
    texts = {}
    for start in range(0, len(rows), 2000):
        texts.update(case_texts([pk for pk, _c, _s in rows[start:start + 2000]]))
    kept = [(pk, c, s) for pk, c, s in rows if texts.get(pk)]
    return TrainingSet(texts=[texts[pk] for pk, _c, _s in kept],
                       labels=[c for _pk, c, _s in kept], subs=[s for _pk, _c, s in kept],
                       case_ids=[pk for pk, _c, _s in kept])


def enough(labels: list[str]) -> bool:
    counts = Counter(labels)
    return sum(1 for n in counts.values()
               if n >= settings.CASEDESK_TRIAGE_MIN_PER_CLASS) >= \
        settings.CASEDESK_TRIAGE_MIN_CLASSES


def fit(data: TrainingSet, book) -> Classifier:
    """The classifier on ``data``; the categories with too few confirmed cases are left
    out (they stay reachable by reclassification, and by the model once confirmed)."""
    counts = Counter(data.labels)
    keep = [i for i, label in enumerate(data.labels)
            if counts[label] >= settings.CASEDESK_TRIAGE_MIN_PER_CLASS]
    return Classifier().fit([data.texts[i] for i in keep], [data.labels[i] for i in keep],
                            extra=category_texts(book), subs=[data.subs[i] for i in keep],
                            sub_texts=subcategory_texts(book))


def train(version: str | None = None) -> TriageModel | None:
    """Train and store the model of ``version`` (default: the rulebook in force); None
    when there are not yet enough confirmed cases. The stored classifier is sealed with
    a data key of its own. Audited (counts only)."""
    book = rulebook.get(version) if version else rulebook.current()
    data = training_set(book.version)
    audit_record(action="triage.train", object_type="rulebook", object_id=book.version,
                 data={"count": len(data.labels)})
    if not enough(data.labels):
        return None
    classifier = fit(data, book)
    buffer = io.BytesIO()
    joblib.dump(classifier, buffer, compress=3)
    key_id = crypto.key_new()
    counts = Counter(data.labels)
    row = TriageModel.objects.create(
        rulebook_version=book.version, trained_at=timezone.now(), examples=len(data.labels),
        classes=classifier.classes,
        metrics={"per_class": {c: counts[c] for c in classifier.classes},
                 "left_out": sorted(set(counts) - set(classifier.classes)),
                 "vocabulary": len(classifier.vocabulary)},
        key_id=key_id, blob=crypto.seal_bytes(key_id, buffer.getvalue(), _AAD))
    # Older models of this version are no longer used: their keys go, then the rows.
    older = TriageModel.objects.filter(rulebook_version=book.version).exclude(pk=row.pk)
    crypto.keys_destroy(list(older.values_list("key_id", flat=True)))
    older.delete()
    return row


def model_latest(version: str) -> TriageModel | None:
    return (TriageModel.objects.filter(rulebook_version=version)
            .defer("blob").order_by("-trained_at", "-id").first())


def _classifier(row: TriageModel) -> Classifier:
    with _lock:
        known = _loaded.get(row.rulebook_version)
        if known and known[0] == row.pk:
            return known[1]
    blob = bytes(TriageModel.objects.values_list("blob", flat=True).get(pk=row.pk))
    classifier = joblib.load(io.BytesIO(crypto.open_bytes(blob, _AAD)))
    with _lock:
        _loaded[row.rulebook_version] = (row.pk, classifier)
    return classifier


def rules(version: str) -> Rules:
    known = _rules.get(version)
    if known is None:
        known = _rules[version] = Rules(rulebook.get(version))
    return known


def suggester(version: str):
    """(what suggests, its model row or None) for ``version``: the latest trained model,
    else the rulebook's rules."""
    row = model_latest(version)
    if row is not None:
        return _classifier(row), row
    return rules(version), None


# ---------------------------------------------------------------------------- suggesting


def suggest(case_ids: list[int]) -> int:
    """Compute and store the top suggestions of the given cases that are still to be
    registered (state received); the number of cases given suggestions. Their earlier
    suggestions are replaced. Audited as a system read of each case."""
    cases = list(Case.objects.filter(pk__in=case_ids, state=CaseState.RECEIVED)
                 .select_related("service_member"))
    if not cases:
        return 0
    texts = case_texts([c.pk for c in cases])
    crypto.keys_prefetch({c.service_member.key_id for c in cases if c.service_member.key_id})
    rows, done = [], []
    by_version: dict[str, tuple] = {}
    for case in cases:
        text = texts.get(case.pk, "")
        if not text:
            continue
        if case.rulebook_version not in by_version:
            by_version[case.rulebook_version] = suggester(case.rulebook_version)
        engine, model = by_version[case.rulebook_version]
        for rank, guess in enumerate(engine.suggest(text), start=1):
            suggestion = Suggestion(case=case, rank=rank, category=guess.category,
                                    subcategory=guess.subcategory,
                                    score=round(guess.score, 4), reasons={"words": guess.reasons},
                                    source=Source.MODEL if model else Source.RULES,
                                    model=model)
            rows.append(suggestion)
        done.append(case.pk)
    with transaction.atomic():
        # The cases first, then the audit chain's lock (audit_record), in the order every
        # service takes them: a staff move holds its case and then waits for the audit
        # lock; had this taken the audit lock first, the commit's check of the new rows'
        # keys would wait for that move: a deadlock.
        list(Case.objects.select_for_update(no_key=True).filter(pk__in=done)
             .order_by("pk").values_list("pk", flat=True))
        Suggestion.objects.filter(case_id__in=done).delete()
        Suggestion.objects.bulk_create(rows)
        audit_record_many([dict(action="triage.suggested", object_type="case", object_id=pk,
                                data={"count": sum(1 for r in rows if r.case_id == pk)})
                           for pk in done])
    return len(done)


# ---------------------------------------------------------------------------- the page


def page_context(*, case: Case, language: str) -> dict:
    """The suggestions of ``case`` for its page: each with its labels, percent and words,
    and which engine made them."""
    book = rulebook.get(case.rulebook_version)
    rows = list(Suggestion.objects.filter(case=case).select_related("model")
                .defer("model__blob").order_by("rank"))  # the model's row, not the model
    for row in rows:
        row.case = case  # the reasons open with its service member's key
    items = [{
        "rank": row.rank,
        "category": row.category,
        "subcategory": row.subcategory,
        "label": book.classification_label(row.category, row.subcategory, language),
        "score": row.score,
        "percent": max(1, round(100 * row.score)),
        "reasons": (row.reasons or {}).get("words", []),
        "current": (row.category, row.subcategory) == (case.category, case.subcategory),
    } for row in rows]
    model = rows[0].model if rows and rows[0].source == Source.MODEL else None
    return {
        "items": items,
        "source": rows[0].source if rows else None,
        "model": model,
        "decided": Decision.objects.filter(case=case).order_by("-at").first(),
    }


def top_suggestions(case_ids: list[int], language: str) -> dict[int, dict]:
    """The first suggestion of each of ``case_ids`` that has one (for the queue "To
    register": one query, no decryption): {case id: {"label", "percent"}}."""
    rows = (Suggestion.objects.filter(case_id__in=case_ids, rank=1)
            .values_list("case_id", "category", "subcategory", "score",
                         "case__rulebook_version"))
    out = {}
    for case_id, category, subcategory, score, version in rows:
        try:
            label = rulebook.get(version).classification_label(category, subcategory,
                                                               language)
        except rulebook.RulebookError:
            label = category
        out[case_id] = {"label": label, "percent": max(1, round(100 * score))}
    return out


# ---------------------------------------------------------------------------- decisions


def suggestion_accept(*, actor, case: Case, rank: int) -> Case:
    """Give ``case`` the category of its suggestion ``rank`` (through the reclassification
    of the case, which checks the permission ``reclassify`` and records the event), and
    keep the decision as training data. Accepting what the case already has is recorded
    without a reclassification."""
    permissions.require(actor, case, "reclassify")
    suggestion = Suggestion.objects.filter(case=case, rank=rank).first()
    if suggestion is None:
        raise ApplicationError("not_found", _("This suggestion no longer exists."))
    if (case.category, case.subcategory) != (suggestion.category, suggestion.subcategory):
        label = rulebook.get(case.rulebook_version).classification_label(
            suggestion.category, suggestion.subcategory, translation.get_language())
        case = case_reclassify(actor=actor, case=case, category=suggestion.category,
                               subcategory=suggestion.subcategory,
                               reason=_("Suggestion %(rank)s accepted: %(label)s.")
                               % {"rank": rank, "label": label})
    decision_record(actor=actor, case=case, rank=rank)
    return case


def decision_record(*, actor, case: Case, rank: int | None = None) -> Decision | None:
    """Keep what a person decided about ``case``'s category (``rank``: the suggestion
    accepted; None: they chose another category with the reclassification form). Only for
    a case that had suggestions. Audited (codes only)."""
    if rank is None and not Suggestion.objects.filter(case=case).exists():
        return None
    with transaction.atomic():
        decision = Decision.objects.create(
            case=case, actor=actor, at=timezone.now(), accepted_rank=rank,
            category=case.category, subcategory=case.subcategory,
            rulebook_version=case.rulebook_version)
        audit_record(action="triage.decided", actor=actor, object_type="case",
                     object_id=case.pk,
                     data={"category": case.category, "subcategory": case.subcategory,
                           "kind": f"suggestion_{rank}" if rank else "other"})
    return decision
