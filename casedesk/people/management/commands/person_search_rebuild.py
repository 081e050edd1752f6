"""Fill or recompute ``Person.search_keys``, ``typo_keys`` (the person search, issue 18) and
``match_keys`` (the duplicate check) for every person: after the migrations that added
them (people.0004_person_search_keys, 0006, 0007), or after a change to how names are
normalised (casedesk.core.names).

Each person is decrypted with its data key (the batch's keys read in one query) and only
those columns written again (``bulk_update``, in batches, one transaction each). An erased
person keeps empty values. Running it twice changes nothing the second time.
``blind_index_rebuild`` (after a change of the blind-index key) recomputes these columns
too, with every other index.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from casedesk.core import crypto
from casedesk.people.models import Person


class Command(BaseCommand):
    help = "Fill or recompute the person search keys of every person."

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=1000)

    def handle(self, *args, batch=1000, **options):
        if batch < 1:
            raise CommandError("--batch must be at least 1")
        fields = [Person._meta.get_field(name) for name in ("search_keys", "typo_keys",
                                                             "match_keys")]
        changed = last = 0
        while True:
            with transaction.atomic():
                rows = list(Person.objects.select_for_update().filter(pk__gt=last)
                            .order_by("pk")[:batch])
                if not rows:
                    break
                crypto.keys_prefetch(row.key_id for row in rows)  # one query a batch
                dirty = []
                for row in rows:
                    before = [getattr(row, f.attname) for f in fields]
                    after = [("" if row.erased_at is not None else f.pre_save(row, False))
                             for f in fields]
                    if before != after:
                        for f, value in zip(fields, after, strict=True):
                            setattr(row, f.attname, value)
                        dirty.append(row)
                Person.objects.bulk_update(dirty, [f.attname for f in fields])
            changed += len(dirty)
            last = rows[-1].pk
        self.stdout.write(f"people.Person: {changed} row(s) rebuilt")
