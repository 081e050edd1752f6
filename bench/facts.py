"""Facts from the text (issue 19): extraction throughput per core, the NER model's load
time and the memory it takes.

    python bench/facts.py                    # BENCH_FACTS_APPEALS=300
    BENCH_FACTS_APPEALS=2000 python bench/facts.py

Runs in a fresh process of its own (so the load is cold and the memory is the model's):
loads the natasha models (``casedesk.facts.extract.models``), then extracts the facts of
BENCH_FACTS_APPEALS realistic appeals on one core, with the model (what the background
task does) and with the rules alone. The texts are the demo's situations (casedesk.demo)
with units, dates, places, ranks, money and laws filled in, 400-1500 characters each.
No database, nothing written. Prints the machine and a JSON line; bench/run.py adds it to
the results as "facts". No timed assertion anywhere: this is a measurement.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
APPEALS = int(os.environ.get("BENCH_FACTS_APPEALS", "300"))

EXTRA = [
    "Мой сын, {rank} {name}, служит в войсковой части {unit}.",
    "С {d1} по {d2} 2024 года он находился в госпитале в {place}, ВВК определила "
    "категорию годности «{fit}», но командование в/ч {unit} снова отправляет его на фронт.",
    "Единовременная выплата {money} руб. по ст. 51 Федерального закона № 53-ФЗ не получена.",
    "Командир {formation} на обращения не отвечает, военная прокуратура в {place} тоже.",
    "Юрист правозащитной группы «Агора» Павел Чиков посоветовал написать вам.",
    "Прошу провести проверку и сообщить о результатах. {applicant}, {date}.",
]
RANKS = ["рядовой", "ефрейтор", "младший сержант", "сержант", "старший лейтенант"]
FORMATIONS = ["64-й отдельной мотострелковой бригады", "1-го гвардейского танкового полка",
              "155-й отдельной бригады морской пехоты"]
MONTHS = ["января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа"]


def texts(count: int, seed: int = 19) -> list[str]:
    from casedesk.demo import texts as demo

    rng = random.Random(seed)
    situations = [ru for ru, _en in demo.SITUATIONS.values()]
    result = []
    for _ in range(count):
        name = f"{rng.choice(demo.SURNAMES_M)} {rng.choice(demo.FIRST_M)} " \
               f"{rng.choice(demo.PATRONYMIC_M)}"
        applicant = f"{rng.choice(demo.SURNAMES_M)}а {rng.choice(demo.FIRST_F)} " \
                    f"{rng.choice(demo.PATRONYMIC_F)}"
        values = dict(
            unit=rng.randint(10000, 99999), place=rng.choice(demo.PLACES),
            date=f"{rng.randint(1, 28):02d}.{rng.randint(1, 12):02d}.2024",
            rank=rng.choice(RANKS), name=name, applicant=applicant,
            d1=f"{rng.randint(1, 28)} {rng.choice(MONTHS[:4])}",
            d2=f"{rng.randint(1, 28)} {rng.choice(MONTHS[4:])}", fit=rng.choice("АБВГД"),
            money=f"{rng.randint(50, 999)} 000", formation=rng.choice(FORMATIONS))
        parts = [rng.choice(situations)] + rng.sample(EXTRA, rng.randint(3, len(EXTRA)))
        result.append(" ".join(part.format(**values) for part in parts))
    return result


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def _child(count: int) -> dict:
    sys.path.insert(0, str(ROOT))
    from casedesk.facts import extract as ex

    sample = texts(count)
    before = _rss_mb()
    started = time.perf_counter()
    ex.models()
    load_s = time.perf_counter() - started
    after = _rss_mb()
    ex.extract(sample[0])  # the first call warms the caches
    result = {"appeals": count, "chars_per_appeal": round(sum(map(len, sample)) / count),
              "model_load_s": round(load_s, 2), "rss_before_mb": before,
              "rss_model_mb": round(after - before, 1)}
    for name, ner in (("with_ner", True), ("rules_only", False)):
        cpu, wall, spans = time.process_time(), time.perf_counter(), 0
        for text in sample:
            spans += len(ex.extract(text, ner=ner))
        seconds = time.perf_counter() - wall
        result[name] = {
            "appeals_per_s": round(count / seconds, 1),
            "chars_per_s": round(sum(map(len, sample)) / seconds),
            "cpu_ms_per_appeal": round((time.process_time() - cpu) * 1000 / count, 2),
            "spans_per_appeal": round(spans / count, 1)}
    result["rss_after_mb"] = _rss_mb()
    return result


def run(count: int = APPEALS) -> dict:
    """Measure in a fresh process on one core (OMP/MKL threads 1): cold load, RSS."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
           "MKL_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    command = [sys.executable, str(Path(__file__)), "--child", str(int(count))]
    out = subprocess.run(command, env=env, capture_output=True, text=True,  # noqa: S603 - ours
                         check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        print(json.dumps(_child(int(sys.argv[2])), ensure_ascii=False))
    else:
        sys.path.insert(0, str(BENCH))
        from common import machine

        print(json.dumps(machine(), ensure_ascii=False))
        print(json.dumps({"facts": run()}, ensure_ascii=False))
