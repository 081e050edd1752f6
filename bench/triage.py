"""Category suggestions (issue 19): train time on N confirmed cases, model size, load time
and memory, and the suggestion latency per appeal once loaded (target p95 < 20 ms).

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/casedesk_bench \\
        BENCH_TRIAGE_TRAIN=5000 BENCH_TRIAGE_SUGGEST=300 python bench/triage.py

Reads the latest BENCH_TRIAGE_TRAIN registered cases of the seeded database (their texts
decrypted as ``triage_train`` reads them), trains the classifier on them in memory, then
times, for the latest BENCH_TRIAGE_SUGGEST cases: the classifier alone on each text, and
the whole task for one case (``triage.services.suggest``: texts read and decrypted,
suggestions sealed and written), by the model and by the rulebook's rules. Nothing lasts:
no model is stored, no key made, the suggestions are written in one transaction that is
rolled back, so it may run against a database others measure.
"""

from __future__ import annotations

import io
import os
import statistics
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import pages  # noqa: E402, F401 - sets the environment for Django before it is set up
from common import percentile, print_alone  # noqa: E402

TRAIN = int(os.environ.get("BENCH_TRIAGE_TRAIN", "5000"))
SUGGEST = int(os.environ.get("BENCH_TRIAGE_SUGGEST", "300"))


def _rss() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def _ms(values: list[float]) -> dict:
    return {"p50_ms": round(statistics.median(values) * 1000, 2),
            "p95_ms": round(percentile(values, 0.95) * 1000, 2)}


def run(train: int = TRAIN, suggest: int = SUGGEST) -> dict:
    import joblib
    from django.db import transaction
    from django.test import override_settings

    from casedesk import rulebook
    from casedesk.cases.models import Case
    from casedesk.triage import services

    book = rulebook.current()
    with override_settings(CASEDESK_TRIAGE_MAX_EXAMPLES=train):
        began = time.perf_counter()
        data = services.training_set(book.version)
        read_s = time.perf_counter() - began
    if not services.enough(data.labels):
        return {"error": f"not enough confirmed cases ({len(data.labels)})"}
    began = time.perf_counter()
    classifier = services.fit(data, book)
    train_s = time.perf_counter() - began
    buffer = io.BytesIO()
    joblib.dump(classifier, buffer, compress=3)
    blob = buffer.getvalue()
    del classifier
    rss_before = _rss()
    began = time.perf_counter()
    classifier = joblib.load(io.BytesIO(blob))
    load_s = time.perf_counter() - began
    rss_delta = _rss() - rss_before

    ids = list(Case.objects.order_by("-pk").values_list("pk", flat=True)[:suggest])
    texts = services.case_texts(ids)
    alone = []
    for pk in ids:
        began = time.perf_counter()
        classifier.suggest(texts.get(pk, ""))
        alone.append(time.perf_counter() - began)
    rules = services.rules(book.version)
    by_rules = []
    for pk in ids:
        began = time.perf_counter()
        rules.suggest(texts.get(pk, ""))
        by_rules.append(time.perf_counter() - began)
    task = []
    original = services.suggester
    services.suggester = lambda version: (classifier, None)
    try:
        with transaction.atomic():
            Case.objects.filter(pk__in=ids).update(state="received")
            for pk in ids:
                began = time.perf_counter()
                services.suggest([pk])
                task.append(time.perf_counter() - began)
            transaction.set_rollback(True)
    finally:
        services.suggester = original
    return {
        "train_examples": len(data.labels), "classes": len(classifier.classes),
        "form": getattr(classifier, "form", None),
        "read_s": round(read_s, 1), "train_s": round(train_s, 1),
        "model_bytes": len(blob), "vocabulary": len(classifier.vocabulary),
        "load_ms": round(load_s * 1000), "load_rss_mb": round(rss_delta / 1024**2, 1),
        "suggestions": len(ids),
        "model_alone": _ms(alone), "rules_alone": _ms(by_rules), "task_one_case": _ms(task),
    }


if __name__ == "__main__":
    print_alone(run)
