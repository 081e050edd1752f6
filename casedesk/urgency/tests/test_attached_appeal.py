"""A new appeal on an open case is read after the receipt like a new case's (issue 19:
"he was detained" in a second letter makes the case urgent; its facts are found)."""

from __future__ import annotations

import pytest
from django_tasks_db.models import DBTaskResult

from casedesk.urgency import tasks as urgency_tasks
from casedesk.urgency.models import UrgencyFlag

pytestmark = pytest.mark.django_db

DATABASE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


def test_an_urgent_second_letter_makes_the_case_urgent(register, settings,
                                                         django_capture_on_commit_callbacks):
    settings.TASKS = DATABASE
    with django_capture_on_commit_callbacks(execute=True):
        case = register(text="Прошу проверить запись о сыне.")
    assert not UrgencyFlag.objects.filter(case=case).exists()
    DBTaskResult.objects.all().delete()

    with django_capture_on_commit_callbacks(execute=True):
        register(attach_to=case,
                 text="Вчера сына задержали, возбуждено уголовное дело по статье 337 УК.")

    queued = {t.task_path: t.args_kwargs["kwargs"]["case_ids"]
              for t in DBTaskResult.objects.all()}
    assert queued["casedesk.urgency.tasks.urgency_evaluate"] == [case.pk]
    assert queued["casedesk.facts.tasks.facts_extract"] == [case.pk]
    urgency_tasks.urgency_evaluate.call(case_ids=[case.pk])
    assert UrgencyFlag.objects.get(case=case).urgent
