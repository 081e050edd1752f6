"""Erasure and merging reach the facts found in the texts (casedesk.facts): sealed with
the service member's key, unreadable and deleted when they are erased, re-sealed when
their record is merged into another."""

from __future__ import annotations

import pytest
from django.db import connection

from casedesk.accounts.roles import Role
from casedesk.core import crypto
from casedesk.facts.models import Fact
from casedesk.facts.services import facts_extract
from casedesk.intake.services import PersonData, appeal_register
from casedesk.people.lifecycle.erasure import person_erase
from casedesk.people.lifecycle.merge import person_merge

TEXT = "Сын, рядовой Кузнецов Андрей, служит в в/ч 74814 с 01.10.2022."


def register(user, office, name="Кузнецов Андрей Викторович"):
    return appeal_register(
        actor=user, office=office, channel="letter", text=TEXT,
        applicant=PersonData(full_name="Кузнецова Мария Ивановна",
                             postal_address="Тула, ул. Мира, 1"),
        relation="mother", service_member=PersonData(full_name=name),
        category="other").case


def _raw(case_id):
    with connection.cursor() as cursor:
        cursor.execute("SELECT text FROM facts_fact WHERE case_id = %s", [case_id])
        return [row[0] for row in cursor.fetchall()]


@pytest.mark.parametrize("who", ["service_member", "applicant"])
def test_erasure_makes_the_facts_unreadable_and_removes_them(staff, office, who):
    case = register(staff[Role.INTAKE_CLERK], office)
    facts_extract(case_ids=[case.pk], ner=False)
    sealed = _raw(case.pk)
    assert sealed and {f.normal for f in Fact.objects.filter(case=case)} >= {"74814"}
    person = case.service_member if who == "service_member" else case.appeals.get().submitter

    person_erase(actor=staff[Role.SUPERVISOR], person=person, reason_code="request")

    assert not Fact.objects.filter(case=case).exists() and _raw(case.pk) == []
    if who == "service_member":
        # A copy kept elsewhere (a backup) cannot be opened: the key is gone.
        aad = f"{Fact._meta.db_table}.text"
        for value in sealed:
            with pytest.raises(crypto.KeyMissing):
                crypto.open_text(value, aad)
    # Run again after the erasure (a late task): nothing is stored.
    assert facts_extract(case_ids=[case.pk], ner=False) == 0


def test_merge_reseals_the_facts_under_the_kept_persons_key(staff, office):
    first = register(staff[Role.INTAKE_CLERK], office)
    second = register(staff[Role.INTAKE_CLERK], office, name="Кузнецов Андрей")
    facts_extract(case_ids=[second.pk], ner=False)
    keep, other = first.service_member, second.service_member

    person_merge(actor=staff[Role.SUPERVISOR], keep=keep, other=other)

    # Erasing the kept person now removes the facts of the merged case too.
    assert {f.normal for f in Fact.objects.filter(case=second)} >= {"74814"}
    sealed = _raw(second.pk)
    person_erase(actor=staff[Role.SUPERVISOR], person=keep, reason_code="request")
    aad = f"{Fact._meta.db_table}.text"
    for value in sealed:
        with pytest.raises(crypto.KeyMissing):
            crypto.open_text(value, aad)
