"""Rewriting the audit table as an attacker must: as a superuser with its triggers off.

The audit table refuses UPDATE and DELETE (``audit/db.py``), so a test that plays the
attacker who rewrites it does what such an attacker would need to: be a superuser and
switch the triggers off for the session (``session_replication_role = replica``). The
test database's owner is a superuser; the application's role is not.
"""

import contextlib

from django.db import connection


@contextlib.contextmanager
def tampering():
    """As a superuser with the table's triggers off: what it takes to rewrite the log."""
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = DEFAULT")


def tamper(statement: str, params=()) -> None:
    with tampering(), connection.cursor() as cursor:
        cursor.execute(statement, params)
