"""The applicant answering in their case (the portal's and the API's reply) is the
applicant already on the case: no second record of them, listed twice on the case page,
without their phone, under a data key their erasure would not destroy."""

from __future__ import annotations

from django.urls import reverse

from casedesk.accounts.roles import Role
from casedesk.cases.models import Appeal, Case, CaseApplicant
from casedesk.cases.services import case_transition
from casedesk.intake import public
from casedesk.intake.services import PersonData
from casedesk.people.models import Person

MOTHER = "Семёнова Оксана Сергеевна"
PHONE = "+7 900 820-07-14"


def test_a_reply_is_the_cases_own_applicant_writing_again(client, office, staff):
    receipt = public.appeal_submit(
        channel="web", idempotency_key="reply-0001", payload={},
        applicant=PersonData(full_name=MOTHER, phone=PHONE, email="oksana@example.org"),
        relation="mother",
        service_member=PersonData(full_name="Семёнов Дмитрий Алексеевич", unit="52274"),
        text="После ранения сына не направляют на ВВК.", request="", category="other",
        language="ru", consent=True, office=office)
    case = Case.objects.get(number=receipt.case_number)
    mother = case.appeals.get().submitter
    people = Person.objects.count()
    worker = staff[Role.CASEWORKER]
    case = case_transition(actor=staff[Role.INTAKE_CLERK], case=case, transition="register")
    case = case_transition(actor=worker, case=case, transition="start_review")
    case = case_transition(actor=worker, case=case, transition="request_information",
                           message="Пришлите выписной эпикриз.")

    public.applicant_reply(case_id=case.pk, text="Эпикриз прикладываю.")
    public.applicant_reply(case_id=case.pk, text="И ещё справку из части.")

    assert Person.objects.count() == people
    assert list(Appeal.objects.filter(case=case).values_list("submitter_id", flat=True)) \
        == [mother.pk] * 3
    links = CaseApplicant.objects.filter(case=case)
    assert [(link.person_id, link.relation) for link in links] == [(mother.pk, "mother")]
    assert Case.objects.get(pk=case.pk).state == "in_review"
    # The case page names her once, with her phone.
    client.force_login(worker)
    response = client.get(reverse("staff:case", args=[case.number]))
    assert len(response.context["file"].applicants) == 1
    assert PHONE in response.content.decode()
