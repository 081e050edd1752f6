"""Issue 18's case: three identical appeals from a mother, a father and a wife about the
same man became three unlinked cases. Sent through the public intake, each is now flagged
after the receipt as about the same person as the other two (``intake.DuplicateFlag``,
likely or possible, with reasons), and their near-identical texts are one campaign."""

from __future__ import annotations

import datetime as dt

import pytest

from casedesk.cases.campaigns import campaigns_group
from casedesk.cases.models import CampaignAppeal, Case
from casedesk.intake.models import DuplicateFlag
from casedesk.intake.public import appeal_submit
from casedesk.intake.services import PersonData

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

LETTER = ("Уважаемый уполномоченный! Я, {applicant}, {who} военнослужащего {member}, прошу "
          "сообщить о его местонахождении и состоянии здоровья. Связь с ним прервалась в "
          "марте, после того как его подразделение перевели в другое место. В части на "
          "мои звонки не отвечают, письма возвращаются. Прошу провести проверку, сообщить "
          "мне письменно о результатах и восстановить выплату денежного довольствия, "
          "которая прекратилась без объяснения причин.")

# The same man as each relative writes him: in another grammatical case, ё or е, with
# the birth date, or the unit written two ways.
RELATIVES = [
    ("mother", "мать", PersonData(full_name="Кузнецова Мария Ивановна",
                                  email="maria@example.org"),
     PersonData(full_name="Кузнецов Артём Петрович", birth_date=dt.date(1990, 5, 1))),
    ("father", "отец", PersonData(full_name="Кузнецов Пётр Сергеевич",
                                  phone="+7 900 111-22-33"),
     PersonData(full_name="Кузнецова Артема Петровича", unit="в/ч 74814")),
    ("wife", "жена", PersonData(full_name="Кузнецова Ольга Андреевна",
                                email="olga@example.org"),
     PersonData(full_name="Кузнецову Артёму", unit="войсковая часть 74814")),
]


@pytest.fixture(autouse=True)
def tasks_at_once(settings):
    settings.TASKS = IMMEDIATE  # the flag's task runs as soon as it is queued


def test_three_relatives_writing_about_one_man_are_flagged_as_one_person_and_one_campaign(
        office, django_capture_on_commit_callbacks):
    cases = []
    for n, (relation, who, applicant, member) in enumerate(RELATIVES):
        with django_capture_on_commit_callbacks(execute=True):
            receipt = appeal_submit(
                channel="web", idempotency_key=f"relatives-{n}", payload={"n": n},
                applicant=applicant, relation=relation, service_member=member,
                text=LETTER.format(applicant=applicant.full_name, who=who,
                                   member=member.full_name),
                category="missing_captivity", language="ru", consent=True, office=office)
        cases.append(Case.objects.get(number=receipt.case_number))
    members = [c.service_member_id for c in cases]
    assert len(set(members)) == 3  # three person records, as received

    for case in cases:
        flags = {f.person_id: f for f in DuplicateFlag.objects.filter(case=case)}
        others = set(members) - {case.service_member_id}
        assert set(flags) == others, case.number
        for flag in flags.values():
            assert flag.level in ("likely", "possible")
            assert {"surname", "first_name"} <= set(flag.reasons)
            # The other relative's case, of this office, is named.
            assert flag.candidate_case.service_member_id == flag.person_id
    # The father and the wife both gave the unit, written differently: likely.
    father, wife = cases[1], cases[2]
    flag = DuplicateFlag.objects.get(case=wife, person_id=father.service_member_id)
    assert flag.level == "likely" and "unit" in flag.reasons
    # The mother gave the birth date, the father the unit: nothing but the name shared.
    flag = DuplicateFlag.objects.get(case=father, person_id=cases[0].service_member_id)
    assert flag.level == "possible" and "patronymic" in flag.reasons

    done = campaigns_group(office=office)

    campaigns = set(CampaignAppeal.objects.filter(case__in=cases)
                    .values_list("campaign_id", flat=True))
    assert len(campaigns) == 1 and done.joined == 3
    assert CampaignAppeal.objects.filter(case__in=cases).count() == 3
