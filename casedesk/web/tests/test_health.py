"""/health/ (issue 15, finding 15): the database, the key store, the worker's last beat and
the outbox's age; 503 when something is down; nothing personal, no login."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import connections
from django.utils import timezone

from casedesk.intake.public import appeal_submit
from casedesk.intake.services import PersonData
from casedesk.notifications.models import Heartbeat, Outbox
from casedesk.testing_processes import free_port

MOTHER = "mother@example.org"


def submit(office):
    return appeal_submit(
        channel="web", idempotency_key="health-1",
        payload={"text": "Сына записали в СОЧ.", "email": MOTHER, "language": "ru"},
        applicant=PersonData(full_name="Иванова Анна Петровна", email=MOTHER),
        relation="mother", service_member=PersonData(full_name="Иванов Пётр Сергеевич"),
        text="Сына записали в СОЧ.", language="ru", consent=True, office=office)


def test_all_up_with_the_outbox_age_and_nothing_personal(client, office):
    receipt = submit(office)  # its acknowledgement waits in the outbox
    Outbox.objects.update(created_at=timezone.now() - dt.timedelta(minutes=20))
    Heartbeat.objects.create(name="worker-1", beat_at=timezone.now())

    response = client.get("/health/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    body = response.json()
    assert body["status"] == "ok"
    checks = body["checks"]
    assert checks["database"] == {"ok": True} and checks["keys"] == {"ok": True}
    assert checks["worker"]["ok"] and checks["worker"]["last_beat_seconds"] < 120
    assert checks["outbox"]["pending"] == 1
    assert checks["outbox"]["oldest_pending_seconds"] >= 1200
    assert checks["outbox"]["late"] is True  # reported, and still 200 (see web/health.py)
    text = json.dumps(body, ensure_ascii=False)
    for personal in (MOTHER, "Иванова", receipt.case_number, receipt.access_code):
        assert personal not in text


def test_a_worker_that_stopped_beating_is_down(client, db, settings):
    assert client.get("/health/").status_code == 503  # never beat
    Heartbeat.objects.create(name="worker-1", beat_at=timezone.now() - dt.timedelta(
        seconds=settings.CASEDESK_WORKER_STALE_SECONDS + 5))

    response = client.get("/health/")

    assert response.status_code == 503
    assert response.json()["status"] == "down"
    assert response.json()["checks"]["worker"]["ok"] is False


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_database_down_is_a_503(client):
    Heartbeat.objects.create(name="worker-1", beat_at=timezone.now())
    assert client.get("/health/").status_code == 200
    database = connections["default"]
    port = database.settings_dict["PORT"]
    database.close()
    database.settings_dict["PORT"] = str(free_port())  # nothing listens there
    try:
        response = client.get("/health/")
    finally:
        database.close()
        database.settings_dict["PORT"] = port

    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["database"] == {"ok": False, "error": "OperationalError"}
    assert checks["worker"]["ok"] is False
    assert checks["keys"] == {"ok": True}  # the key store is a database of its own
