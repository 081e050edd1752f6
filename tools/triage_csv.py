"""Labelled CSV files for ``manage.py triage_evaluate`` (docs/triage.md)::

    DATABASE_URL=... python tools/triage_csv.py demo demo.csv    # the database's cases
    DATABASE_URL=... python tools/triage_csv.py noisy noisy.csv  # a harder synthetic set
    DATABASE_URL=... python tools/triage_csv.py anyorder any.csv  # ... in any order

``demo``: every case's text (its appeals, decrypted) and category, as ``triage_train``
reads them. Personal data: keep the file where the database is, delete it after use.

``noisy``: from the demo's text per category (casedesk/demo/texts.py), a long tail of
class sizes (120 down to 4), each text keeping about 45 % of its words with typos, a
fifth in English, with half a text of another category mixed in and HTML around some.
Synthetic, and not a stand-in for real appeals. The appeal's own text always comes first,
so a model that reads the order of a text can tell which of the two topics is the label.

``anyorder``: the same, but the other category's half text comes first in half of the
texts: the order says nothing, only the words do (a check that a model reading the
opening, docs/triage.md, does not win on ``noisy`` by that alone).
"""

from __future__ import annotations

import csv
import os
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casedesk.config.settings")


def demo(path: str) -> int:
    from casedesk.cases.models import Case
    from casedesk.triage.services import case_texts

    rows = list(Case.objects.values_list("pk", "category"))
    count = 0
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "category"])
        for start in range(0, len(rows), 2000):
            chunk = rows[start:start + 2000]
            texts = case_texts([pk for pk, _c in chunk])
            for pk, category in chunk:
                if texts.get(pk):
                    writer.writerow([texts[pk], category])
                    count += 1
    return count


def noisy(path: str, seed: int = 5, before: float = 0.0) -> int:
    """``before``: the share of texts whose other category's half comes first."""
    from casedesk.demo import texts

    rng = random.Random(seed)
    categories = list(texts.SITUATIONS)
    sizes = {c: max(4, int(120 * 0.75 ** i)) for i, c in enumerate(categories)}

    def damaged(text: str) -> str:
        out = []
        for word in text.split():
            if rng.random() >= 0.45:
                continue
            if len(word) > 5 and rng.random() < 0.15:
                i = rng.randrange(1, len(word) - 1)
                word = word[:i] + word[i + 1:]
            out.append(word)
        return " ".join(out)

    count = 0
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "label"])
        for category, size in sizes.items():
            for _i in range(size):
                ru, en = texts.SITUATIONS[category]
                text = (en if rng.random() < 0.2 else ru).format(
                    unit="12345", date="01.02.2025", place="Курск")
                other = texts.SITUATIONS[rng.choice(categories)][0].format(
                    unit="1", date="1", place="x")
                own, mixed_in = damaged(text), damaged(other)
                if before and rng.random() < before:
                    body = mixed_in + " " + own
                else:
                    body = own + " " + mixed_in
                if rng.random() < 0.3:
                    body = f"<p>{body}</p>"
                writer.writerow([body, category])
                count += 1
    return count


def main() -> None:
    makers = {"demo": demo, "noisy": noisy,
              "anyorder": lambda path: noisy(path, before=0.5)}
    if len(sys.argv) != 3 or sys.argv[1] not in makers:
        sys.exit(__doc__)
    import django

    django.setup()
    made = makers[sys.argv[1]](sys.argv[2])
    print(f"{made} rows written to {sys.argv[2]}")


if __name__ == "__main__":
    main()
