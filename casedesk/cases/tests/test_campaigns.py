"""Campaigns: near-identical appeals grouped by their keyed signatures (cases.campaigns)."""

from __future__ import annotations

import io
import shutil

import pytest

from casedesk.cases.campaigns import campaigns_group
from casedesk.cases.models import Appeal, CampaignAppeal
from casedesk.core.tests.test_dump import pg_dump
from casedesk.core.tests.test_similarity import LETTER

OTHER = ("Прошу разъяснить порядок получения единовременной выплаты семье мобилизованного и "
         "перечень документов, которые нужно приложить к заявлению; в военкомате по месту "
         "жительства ответить на этот вопрос не смогли.")
FAMILIES = [("Иванова Анна Петровна", "Иванова Петра"),
            ("Кузнецова Мария Ильинична", "Кузнецова Андрея"),
            ("Смирнова Ольга Викторовна", "Смирнова Дениса")]


def write(register, applicant: str, member: str, text: str):
    """An appeal of the template filled with these names (the people registered are the
    fixture's: the grouping reads only the text's signature)."""
    return register(text=text)


def campaign_of(case) -> int | None:
    link = CampaignAppeal.objects.filter(case=case).first()
    return link.campaign_id if link else None


def test_a_template_signed_by_families_is_one_campaign_and_a_different_text_is_not(
        register, office):
    cases = [write(register, a, m, LETTER.format(applicant=a, member=m)) for a, m in FAMILIES]
    other = write(register, "Петрова Нина Олеговна", "Петрова Олега", OTHER)

    done = campaigns_group(office=office)

    assert done.campaigns_new == 1 and done.joined == 3
    assert len({campaign_of(c) for c in cases}) == 1 and campaign_of(cases[0]) is not None
    assert campaign_of(other) is None
    # Each stays its own case.
    assert len({c.pk for c in cases}) == 3


def test_a_later_appeal_joins_the_existing_campaign(register, office):
    first = [write(register, a, m, LETTER.format(applicant=a, member=m))
             for a, m in FAMILIES[:2]]
    campaigns_group(office=office)
    later = write(register, *FAMILIES[2], LETTER.format(applicant=FAMILIES[2][0],
                                                        member=FAMILIES[2][1]))

    done = campaigns_group(office=office, since=later.received_at)

    assert done.campaigns_new == 0 and done.joined == 1
    assert campaign_of(later) == campaign_of(first[0]) is not None
    assert campaigns_group(office=office).joined == 0  # nothing twice


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.skipif(shutil.which("pg_dump") is None, reason="pg_dump is not installed")
def test_the_dump_holds_no_shingle_of_the_text(register):
    from casedesk.core import similarity

    text = LETTER.format(applicant="Ферапонтова Евдокия", member="Ферапонтова Евстигнея")
    write(register, "Ферапонтова Евдокия Ильинична", "Ферапонтова Евстигнея", text)
    dump = pg_dump("default").casefold()
    found = similarity.words(text)
    shingles = [" ".join(found[i:i + similarity.SHINGLE])
                for i in range(len(found) - similarity.SHINGLE + 1)]
    assert shingles
    assert not [s for s in shingles if s in dump]
    assert "местонахождении" not in dump


def test_appeals_stored_before_signatures_are_backfilled_then_grouped(register, office):
    from django.core.management import call_command

    from casedesk.cases.campaigns import similarity_backfill

    cases = [write(register, a, m, LETTER.format(applicant=a, member=m)) for a, m in FAMILIES]
    short = register(text="Прошу помочь.")
    Appeal.objects.filter(case__in=cases).update(similarity="")
    assert similarity_backfill(batch=2) == 3
    assert Appeal.objects.get(case=short).similarity == ""
    call_command("campaigns_group", "--backfill", stdout=io.StringIO())
    assert len({campaign_of(c) for c in cases}) == 1 and campaign_of(cases[0]) is not None
