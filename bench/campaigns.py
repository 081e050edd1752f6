"""Campaigns: the CPU of an appeal's similarity signature, and grouping a year of appeals.

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/casedesk_bench \\
        BENCH_CAMPAIGN_APPEALS=130000 python bench/campaigns.py

Writes BENCH_CAMPAIGN_APPEALS appeals (20,000 by default) into an office of its own
("CMP", emptied first) through core.bulk, as the web and API batches write them (the
text encrypted, the search tokens and the similarity signature computed per row). A
share of them (BENCH_CAMPAIGN_SHARE, 0.2) are planted campaigns: one letter per campaign
filled with other names, some with a sentence of their own added; the rest are texts
made of the same stock phrases in other orders with other details, as real appeals are.
Then it measures:

- ``signature_us``: the mean CPU of ``core.similarity.signature`` per appeal text;
- ``group_seconds`` and ``appeals_per_second`` of ``cases.campaigns.campaigns_group``
  over the office's appeals (the target: a year of 130,000 in under 2 minutes);
- ``precision`` and ``recall`` over the planted pairs: of the pairs of appeals put in
  one campaign, the share planted together, and of the planted pairs, the share found.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import pages  # noqa: E402 - sets the environment for Django before it is set up
from common import machine, office_cases_remove  # noqa: E402

APPEALS = int(os.environ.get("BENCH_CAMPAIGN_APPEALS", "20000"))
SHARE = float(os.environ.get("BENCH_CAMPAIGN_SHARE", "0.2"))
BATCH = 2000

PHRASES = [
    "прошу разобраться в сложившейся ситуации и принять меры",
    "связь с сыном прервалась несколько месяцев назад",
    "в части на мои звонки не отвечают",
    "письма из части возвращаются без ответа",
    "прошу сообщить о местонахождении и состоянии здоровья",
    "денежное довольствие не выплачивается с весны",
    "он был ранен и находится на лечении в госпитале",
    "командование не предоставляет никаких сведений",
    "прошу провести проверку и сообщить о результатах письменно",
    "по контракту положены выплаты которые не поступили",
    "мы обращались в военкомат по месту жительства",
    "ответа до сих пор не получили",
    "прошу рассмотреть вопрос об отпуске по семейным обстоятельствам",
    "у нас на иждивении двое малолетних детей",
    "прошу оказать содействие в получении справки о ранении",
    "документы были направлены в часть заказным письмом",
    "прошу предоставить отсрочку в связи с уходом за отцом",
    "сын был записан в самовольно оставившие часть ошибочно",
    "прошу восстановить выплату единовременного пособия",
    "прошу ответить по существу обращения в установленный срок",
]
NAMES = ["Иванов", "Кузнецов", "Смирнов", "Попов", "Васильев", "Петров", "Соколов",
         "Михайлов", "Новиков", "Федоров", "Морозов", "Волков", "Алексеев", "Лебедев"]
FIRST = ["Андрей", "Сергей", "Дмитрий", "Алексей", "Иван", "Максим", "Павел", "Олег"]
MONTHS = ["января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа"]


def _name(rng: random.Random) -> str:
    return f"{rng.choice(NAMES)} {rng.choice(FIRST)}"


def _detail(rng: random.Random) -> str:
    return (f"последний раз он выходил на связь {rng.randint(1, 28)} {rng.choice(MONTHS)}"
            f" из района населенного пункта номер {rng.randint(1, 999)}")


def _letter(rng: random.Random, phrases: list[str]) -> str:
    """A letter: a greeting with a name, the phrases as sentences, a detail."""
    body = ". ".join(p.capitalize() for p in phrases)
    return (f"Уважаемый командир! Я пишу о военнослужащем {_name(rng)}. {body}. "
            f"{_detail(rng).capitalize()}.")


def texts_make(count: int, share: float, seed: int = 18) -> tuple[list[str], list[int]]:
    """``count`` appeal texts and, for each, its planted campaign (-1: none)."""
    rng = random.Random(seed)
    texts: list[str] = []
    labels: list[int] = []
    planted = int(count * share)
    campaign = 0
    while len(texts) < planted:
        size = rng.choice([3, 5, 10, 20, 50, 200])
        phrases = rng.sample(PHRASES, rng.randint(5, 9))
        detail = _detail(rng)
        for _ in range(min(size, planted - len(texts))):
            body = ". ".join(p.capitalize() for p in phrases)
            text = (f"Уважаемый командир! Я, {_name(rng)}ова {rng.choice(FIRST)[:-1]}а, "
                    f"мать военнослужащего {_name(rng)}. {body}. {detail.capitalize()}.")
            if rng.random() < 0.3:
                text += f" {rng.choice(PHRASES).capitalize()}, {_name(rng)} знает об этом."
            texts.append(text)
            labels.append(campaign)
        campaign += 1
    while len(texts) < count:
        texts.append(_letter(rng, rng.sample(PHRASES, rng.randint(4, 9))))
        labels.append(-1)
    order = list(range(count))
    rng.shuffle(order)
    return [texts[i] for i in order], [labels[i] for i in order]


def _pairs(groups: dict[int, list[int]]) -> set[tuple[int, int]]:
    pairs = set()
    for members in groups.values():
        members = sorted(members)
        for i, a in enumerate(members):
            for b in members[i + 1:]:
                pairs.add((a, b))
    return pairs


def write(texts: list[str]):
    """The appeals of ``texts`` in the office CMP (emptied first): returns the office and
    the appeal ids in the order of ``texts``."""
    from django.db import transaction
    from django.utils import timezone

    from casedesk.accounts.models import Office
    from casedesk.cases.models import Appeal, Campaign, Case
    from casedesk.core import bulk
    from casedesk.people.models import Person

    office, _ = Office.objects.get_or_create(code="CMP", defaults={
        "name_ru": "Кампании", "name_en": "Campaigns"})
    office_cases_remove(office)
    Campaign.objects.filter(office=office).delete()
    start = timezone.now() - dt.timedelta(days=365)
    ids = []
    for first in range(0, len(texts), BATCH):
        with transaction.atomic():
            chunk = texts[first:first + BATCH]
            people = bulk.create([Person(full_name=f"Заявитель {first + i}")
                                  for i in range(len(chunk))])
            at = [start + dt.timedelta(seconds=(first + i) * 240) for i in range(len(chunk))]
            cases = bulk.create([Case(
                number=f"CMP-{first + i:07d}", office=office, year=at[i].year,
                sequence=first + i + 1, category="other", service_member=people[i],
                rulebook_version="bench", procedure="59-fz", received_at=at[i])
                for i in range(len(chunk))])
            appeals = bulk.create([Appeal(
                case=cases[i], channel="letter", received_at=at[i], text=chunk[i],
                submitter=people[i]) for i in range(len(chunk))])
            ids += [a.pk for a in appeals]
    return office, ids


def run(count: int = APPEALS, share: float = SHARE) -> dict:
    from casedesk.cases.campaigns import campaigns_group
    from casedesk.cases.models import CampaignAppeal
    from casedesk.core import similarity

    texts, labels = texts_make(count, share)
    sample = texts[:2000]
    began = time.process_time()
    for text in sample:
        similarity.signature(text)
    signature_us = (time.process_time() - began) / len(sample) * 1e6
    began = time.perf_counter()
    office, ids = write(texts)
    written = time.perf_counter() - began
    began = time.perf_counter()
    cpu = time.process_time()
    done = campaigns_group(office=office)
    seconds = time.perf_counter() - began
    cpu = time.process_time() - cpu
    index = {pk: i for i, pk in enumerate(ids)}
    found: dict[int, list[int]] = {}
    for campaign_id, appeal_id in CampaignAppeal.objects.filter(
            campaign__office=office).values_list("campaign_id", "appeal_id"):
        found.setdefault(campaign_id, []).append(index[appeal_id])
    planted: dict[int, list[int]] = {}
    for i, label in enumerate(labels):
        if label >= 0:
            planted.setdefault(label, []).append(i)
    found_pairs, planted_pairs = _pairs(found), _pairs(planted)
    both = len(found_pairs & planted_pairs)
    return {
        "appeals": count, "planted_campaigns": len(planted),
        "planted_appeals": sum(map(len, planted.values())),
        "signature_us": round(signature_us, 1),
        "write_appeals_per_second": round(count / written),
        "group_seconds": round(seconds, 2), "group_cpu_seconds": round(cpu, 2),
        "appeals_per_second": round(count / seconds),
        "campaigns": len(found), "joined": done.joined,
        "precision": round(both / len(found_pairs), 4) if found_pairs else None,
        "recall": round(both / len(planted_pairs), 4) if planted_pairs else None,
    }


def main() -> None:
    pages.setup()
    result = {**run(), "machine": machine()}
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
