"""Measure casedesk's category model against the plain baseline on a labelled CSV."""

from __future__ import annotations

import csv
import sys

from django.core.management.base import BaseCommand, CommandError

from casedesk import rulebook
from casedesk.triage import evaluate
from casedesk.triage.model import category_texts


class Command(BaseCommand):
    help = ("Train and test casedesk's category model and the plain baseline (TF-IDF "
            "words 1-2 + characters 2-5 into a linear SVM) by stratified k-fold on a CSV "
            "of texts and labels; print accuracy, macro-F1, top-3 accuracy and a "
            "per-class table for each (docs/triage.md).")

    def add_arguments(self, parser):
        parser.add_argument("--csv", required=True, dest="path")
        parser.add_argument("--text-column", required=True)
        parser.add_argument("--label-column", required=True)
        parser.add_argument("--folds", type=int, default=5)
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--no-rulebook", action="store_true",
                            help="do not add the rulebook's category descriptions as "
                                 "training examples (labels that are rulebook codes)")

    def handle(self, *args, path, text_column, label_column, folds, seed, no_rulebook,
               **options):
        if folds < 2:
            raise CommandError("--folds must be at least 2")
        csv.field_size_limit(sys.maxsize)
        try:
            with open(path, newline="", encoding="utf-8-sig") as handle:
                reader = csv.DictReader(handle)
                missing = {text_column, label_column} - set(reader.fieldnames or [])
                if missing:
                    raise CommandError(f"no such column: {', '.join(sorted(missing))}")
                rows = [(r[text_column] or "", (r[label_column] or "").strip())
                        for r in reader]
        except OSError as error:
            raise CommandError(f"cannot read {path}: {error.strerror}") from None
        rows = [(t, label) for t, label in rows if label and t.strip()]
        if len({label for _t, label in rows}) < 2:
            raise CommandError("the file needs at least two labels with texts")
        extra = None
        if not no_rulebook:
            known = category_texts(rulebook.current())
            labels = {label for _t, label in rows}
            extra = {code: texts for code, texts in known.items() if code in labels} or None
        if extra:
            self.stdout.write(f"rulebook descriptions added for {len(extra)} labels "
                              "(casedesk's model only)")
        result = evaluate.run([t for t, _l in rows], [label for _t, label in rows],
                              folds=folds, seed=seed, extra=extra)
        for line in evaluate.report(result):
            self.stdout.write(line)
