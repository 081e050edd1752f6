"""cases.0011 seals the names of bodies that older versions stored in plaintext."""

from __future__ import annotations

import importlib
import json

from django.apps import apps
from django.db import connection

from casedesk.accounts.roles import Role
from casedesk.cases.models import Case
from casedesk.cases.services import case_transition

migration = importlib.import_module(
    "casedesk.cases.migrations.0011_forward_body_encrypted_and_extension_requests")

NAME = "Военная прокуратура гарнизона (старая запись)"


def test_plaintext_names_are_sealed_and_moved_out_of_event_data(register, staff):
    case = register()
    case_transition(actor=staff[Role.CASEWORKER], case=case, transition="forward",
                    forwarded_to="x")
    event = case.events.get(kind="state_changed", data__transition="forward")
    # What an older version left: the name in the clear in both places, no body code.
    with connection.cursor() as cursor:
        cursor.execute("UPDATE cases_case SET forwarded_to = %s, forward_body = '' "
                       "WHERE id = %s", [NAME, case.pk])
        cursor.execute("UPDATE cases_caseevent SET data = %s, texts = '' WHERE id = %s",
                       [json.dumps({"transition": "forward", "source": "registered",
                                    "target": "forwarded", "forwarded_to": NAME}), event.pk])

    with connection.schema_editor() as editor:
        migration.seal_forwarded(apps, editor)

    with connection.cursor() as cursor:
        cursor.execute("SELECT forwarded_to, forward_body FROM cases_case WHERE id = %s",
                       [case.pk])
        stored, body = cursor.fetchone()
        cursor.execute("SELECT data::text, texts FROM cases_caseevent WHERE id = %s",
                       [event.pk])
        data, texts = cursor.fetchone()
    assert NAME not in stored and body == "other"
    assert NAME not in data and NAME not in texts and "forwarded_to" not in json.loads(data)
    assert Case.objects.get(pk=case.pk).forwarded_to == NAME
    event.refresh_from_db()
    assert event.texts == {"forwarded_to": NAME} and event.data["forward_body"] == "other"
    # Running it again changes nothing.
    with connection.schema_editor() as editor:
        migration.seal_forwarded(apps, editor)
    assert Case.objects.get(pk=case.pk).forwarded_to == NAME
