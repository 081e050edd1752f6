"""Re-wrap every data key under the current master key (casedesk.core.crypto).

Run it after putting a new master key first in ``CASEDESK_MASTER_KEYS`` (keep the old ones
listed until it has finished). Online: each batch is one short transaction on the key
store that skips rows locked by others; the data keys themselves do not change, so nothing
in the data database is touched and everything stays readable throughout. When it reports
nothing left under an old master key, that key can be removed from the configuration.

It lives in intake, not core, because it writes an audit entry ("keys.rotated") and core
may not import the audit layer.
"""

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from casedesk.audit.operator import add_operator_argument, command_operator
from casedesk.audit.services import audit_record
from casedesk.core import crypto
from casedesk.core.models import DataKey
from casedesk.core.routers import KEYSTORE


class Command(BaseCommand):
    help = "Re-wrap every data key under the current master key, in batches (online)."

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=1000,
                            help="data keys per transaction (default 1000)")
        add_operator_argument(parser)

    def handle(self, *args, batch=1000, operator, **options):
        if batch < 1:
            raise CommandError("--batch must be at least 1")
        with command_operator(operator):
            self._rotate(batch)

    def _rotate(self, batch):
        current = crypto.master_keys().current
        before = DataKey.objects.exclude(master_key=current).count()
        self.stdout.write(f"{before} data key(s) to re-wrap under the master key {current}")
        rewrapped, last = 0, ""
        try:
            while True:
                with transaction.atomic(using=KEYSTORE):
                    rows = list(DataKey.objects.select_for_update(skip_locked=True)
                                .exclude(master_key=current).filter(pk__gt=last)
                                .order_by("pk")[:batch])
                    if not rows:
                        break
                    for row in rows:
                        raw = crypto.unwrap(row.master_key, row.wrapped)
                        row.master_key, row.wrapped = crypto.wrap(raw)
                    DataKey.objects.bulk_update(rows, ["master_key", "wrapped"])
                rewrapped += len(rows)
                last = rows[-1].pk
                self.stdout.write(f"  {rewrapped} re-wrapped")
        except ImproperlyConfigured as exc:
            audit_record(action="keys.rotated",
                         data={"count": rewrapped, "target": current, "result": "failed"})
            raise CommandError(f"{exc}; {rewrapped} re-wrapped before the failure") from None
        remaining = DataKey.objects.exclude(master_key=current).count()
        audit_record(action="keys.rotated",
                     data={"count": rewrapped, "target": current,
                           "result": "incomplete" if remaining else "complete"})
        self.stdout.write(f"{rewrapped} data key(s) re-wrapped under {current}; "
                          f"{remaining} still under an older master key")
        if remaining:
            self.stderr.write("some data keys were locked or added under an old master key "
                              "meanwhile: run keys_rotate again before removing it")
