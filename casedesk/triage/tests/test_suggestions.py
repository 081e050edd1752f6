"""Category suggestions (issue 19): made in a task after the receipt (rules from the
rulebook until a model is trained, then the model), shown on the case page with their
words, accepted by the clerk (the case takes the category; the decision is kept),
sealed under the service member's key (erasure: people/lifecycle/tests/
test_triage_erasure.py), and a failure
that leaves the case as it was and logs no personal data."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone, translation

from casedesk.accounts.roles import Role
from casedesk.audit.models import AuditEntry
from casedesk.triage import services, tasks
from casedesk.triage.models import Decision, Suggestion, TriageModel

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

MOBILIZED = ("Моего сына Петрова мобилизовали, хотя у него отсрочка: он студент очной "
             "формы обучения. Военкомат справку не принял.")
PAY = ("Мужу перестали выплачивать денежное довольствие, боевые выплаты не начислены "
       "с весны.")
MISSING = "<p>Муж пропал без вести под Курском, мы не знаем, жив ли он, возможно он в плену.</p>"


@pytest.fixture(autouse=True)
def tasks_at_once(settings):
    settings.TASKS = IMMEDIATE


@pytest.fixture
def web(register, django_capture_on_commit_callbacks):
    """A web appeal as the public form leaves it (category "other", state received),
    with its background work run as after the commit."""

    def make(text=MOBILIZED, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            case = register(channel="web", text=text, category="other",
                            at=timezone.now() - dt.timedelta(hours=2), **kwargs)
        return case

    return make


def test_a_new_web_appeal_gets_three_suggestions_from_the_rules(web):
    case = web()
    rows = list(Suggestion.objects.filter(case=case).order_by("rank"))
    assert [r.rank for r in rows] == [1, 2][: len(rows)] + [3][: max(0, len(rows) - 2)]
    first = rows[0]
    assert (first.category, first.subcategory) == ("wrongful_mobilization",
                                                   "deferment_ignored")
    assert first.source == "rules" and first.model is None
    assert "отсрочка" in first.reasons["words"]
    # The words of the text are sealed, never in the clear in the database.
    with connection.cursor() as cursor:
        cursor.execute("SELECT reasons FROM triage_suggestion WHERE id = %s", [first.pk])
        raw = cursor.fetchone()[0]
    assert raw.startswith("ck1.") and "отсрочка" not in raw
    case.refresh_from_db()
    assert case.category == "other"  # a suggestion, never applied by itself


def test_the_intake_path_does_not_make_them(register):
    case = register(channel="web", text=MOBILIZED, category="other")  # no commit yet
    assert not Suggestion.objects.filter(case=case).exists()


@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_clerk_sees_them_and_accepts_one(client, staff, web, language):
    case = web()
    client.force_login(staff[Role.INTAKE_CLERK])
    with translation.override(language):
        queue = client.get(reverse("staff:queues") + "?queue=to_register").content.decode()
        page = client.get(reverse("staff:case", args=[case.number])).content.decode()
        accept = reverse("staff:suggestion_accept", args=[case.number, 1])
    # The appeals to register show each one's first suggestion.
    first = ("Wrongful mobilization: Deferment ignored" if language == "en"
             else "Незаконная мобилизация: Не учтена отсрочка")
    assert "suggested-mark" in queue and first in queue
    title = "Suggested categories" if language == "en" else "Предлагаемые категории"
    rules = "rules from the rulebook" if language == "en" else "по правилам из свода правил"
    assert title in page and rules in page
    assert "отсрочка" in page
    assert accept in page
    response = client.post(accept)
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.category, case.subcategory) == ("wrongful_mobilization", "deferment_ignored")
    decision = Decision.objects.get(case=case)
    assert decision.accepted_rank == 1 and decision.actor == staff[Role.INTAKE_CLERK]
    entry = AuditEntry.objects.filter(action="triage.decided", object_id=str(case.pk)).get()
    assert entry.data["category"] == "wrongful_mobilization"
    assert "Петров" not in str(entry.data)
    # The category is now the accepted one: no "Accept" for it any more.
    with translation.override(language):
        after = client.get(reverse("staff:case", args=[case.number])).content.decode()
    assert accept not in after


def test_another_category_chosen_is_kept_as_a_decision(client, staff, web):
    case = web()
    client.force_login(staff[Role.INTAKE_CLERK])
    response = client.post(reverse("staff:reclassify", args=[case.number]), {
        "classification": "pay_suspended", "procedure": case.procedure,
        "reason": "Речь о выплатах."})
    assert response.status_code in (200, 302)
    decision = Decision.objects.get(case=case)
    assert decision.accepted_rank is None and decision.category == "pay_suspended"


def test_a_clerk_of_another_office_cannot_accept(client, web, make_user, other_office):
    case = web()
    stranger = make_user(Role.INTAKE_CLERK, other_office)
    client.force_login(stranger)
    response = client.post(reverse("staff:suggestion_accept", args=[case.number, 1]))
    assert response.status_code == 404
    case.refresh_from_db()
    assert case.category == "other"


def test_a_trained_model_takes_over_and_says_so(client, staff, register, web, settings):
    settings.CASEDESK_TRIAGE_MIN_PER_CLASS = 3
    for i in range(4):  # registered by staff: confirmed
        register(text=MOBILIZED + f" Случай {i}.", category="wrongful_mobilization")
        register(text=PAY + f" Случай {i}.", category="pay_suspended")
        register(text=MISSING + f" Случай {i}.", category="missing_captivity")
    row = services.train()
    assert row is not None and row.examples == 12
    assert set(row.classes) == {"wrongful_mobilization", "pay_suspended", "missing_captivity"}
    blob = bytes(TriageModel.objects.values_list("blob", flat=True).get())
    assert "довольствие".encode() not in blob and blob.startswith(b"CK1")
    case = web(text="Не платят денежное довольствие, боевые не начислены.")
    first = Suggestion.objects.filter(case=case).order_by("rank").first()
    assert first.source == "model" and first.model_id == row.pk
    assert first.category == "pay_suspended"
    assert first.reasons["words"]
    client.force_login(staff[Role.INTAKE_CLERK])
    with translation.override("en"):
        page = client.get(reverse("staff:case", args=[case.number])).content.decode()
    assert "model trained on 12 confirmed cases" in page


def test_too_few_confirmed_cases_train_nothing(register, settings):
    register(text=MOBILIZED, category="wrongful_mobilization")
    assert services.train() is None
    assert not TriageModel.objects.exists()


def test_a_failure_leaves_the_case_as_it_was_and_logs_no_personal_data(
        web, monkeypatch, caplog):
    case = web()
    before = list(Suggestion.objects.filter(case=case).values_list("pk", "category"))

    def broken(case_ids):
        raise ValueError(f"{MOBILIZED} Петров")

    monkeypatch.setattr(services, "suggest", broken)
    with caplog.at_level(logging.WARNING):
        assert tasks.triage_suggest.call(case_ids=[case.pk]) == 0
    assert "ValueError" in caplog.text and "count=1" in caplog.text
    assert "Петров" not in caplog.text and "отсрочка" not in caplog.text
    assert list(Suggestion.objects.filter(case=case).values_list("pk", "category")) == before
    case.refresh_from_db()
    assert case.category == "other" and case.state == "received"
