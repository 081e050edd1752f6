import threading
import time

import pytest
from django.db import connection, connections, transaction

from casedesk.audit.models import AuditEntry
from casedesk.audit.selectors import verify_chain
from casedesk.audit.services import audit_record

WRITERS = 8
EACH = 15


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_writers_keep_one_linear_chain():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers by its IMMEDIATE transaction mode")
    start = threading.Barrier(WRITERS)
    errors: list[BaseException] = []

    def writer(number: int) -> None:
        try:
            start.wait()
            for n in range(EACH):
                with transaction.atomic():
                    # some work of the caller's before the entry, as a service would do
                    time.sleep(0.001 * (n % 3))
                    audit_record(action="case.read", object_type="case",
                                 object_id=f"{number}-{n}")
        except BaseException as error:  # reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    total = WRITERS * EACH
    assert list(AuditEntry.objects.values_list("seq", flat=True)) == list(range(1, total + 1))
    assert len(set(AuditEntry.objects.values_list("prev_hash", flat=True))) == total
    assert verify_chain() == (True, None, f"{total} entries, head "
                              f"{AuditEntry.objects.get(seq=total).hash}")
