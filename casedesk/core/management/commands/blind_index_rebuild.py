"""Recompute every blind index and search-word column under the current
``CASEDESK_BLIND_INDEX_KEY``: after setting or changing that key (moving to the ``v2:``
form, or off the key derived from SECRET_KEY that development uses).

Each row is decrypted with its data key and its indexes written again (``bulk_update``,
in batches, one transaction each); nothing else changes. Until it has finished, lookups
and search miss the rows not yet done: run it in a quiet hour. Running it twice changes
nothing the second time.
"""

from __future__ import annotations

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from casedesk.core.fields import BlindIndexField, SearchTokensField


class Command(BaseCommand):
    help = "Recompute the blind indexes and search words under the current key."

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=500)

    def handle(self, *args, batch=500, **options):
        if batch < 1:
            raise CommandError("--batch must be at least 1")
        for model in apps.get_models():
            fields = [f for f in model._meta.concrete_fields
                      if isinstance(f, BlindIndexField | SearchTokensField)]
            if not fields or model._meta.proxy:
                continue
            names = [f.attname for f in fields]
            changed = last = 0
            while True:
                with transaction.atomic():
                    rows = list(model._default_manager.select_for_update()
                                .filter(pk__gt=last).order_by("pk")[:batch])
                    if not rows:
                        break
                    dirty = []
                    for row in rows:
                        before = [getattr(row, n) for n in names]
                        after = [f.pre_save(row, False) for f in fields]
                        if before != after:
                            dirty.append(row)
                    model._default_manager.bulk_update(dirty, names)
                changed += len(dirty)
                last = rows[-1].pk
            self.stdout.write(f"{model._meta.label}: {changed} row(s) rebuilt")
