"""Fill or recompute ``Person.search_keys``, ``typo_keys`` (the person search, issue 18) and
``match_keys`` (the duplicate check) for every person: after the migrations that added
them (people.0004_person_search_keys, 0006, 0007), or after a change to how names are
normalised (casedesk.core.names).

Each person is decrypted with its data key (the batch's keys read in one query) and only
those columns written again (``bulk_update``, in batches, one transaction each). An erased
person keeps empty values. Running it twice changes nothing the second time.
``blind_index_rebuild`` (after a change of the blind-index key) recomputes these columns
too, with every other index.

``--workers N`` runs N processes, each over its own range of ids (the keys are mostly
keyed hashing, one CPU each: about 730 people a second in one process at 1M cases).
Their transactions never touch the same person; the people rows of a case that two of
them change (its service member in one range, an applicant in another) are rebuilt by
each in turn (the trigger of cases.0017 locks the cases in the order of their ids).
"""

from __future__ import annotations

import multiprocessing

from django.core.management.base import BaseCommand, CommandError
from django.db import connections, transaction
from django.db.models import Max, Min

from casedesk.core import crypto
from casedesk.people.models import Person

FIELDS = ("search_keys", "typo_keys", "match_keys")


def rebuild(first: int, last: int, batch: int) -> int:
    """Recompute the keys of the people with ids from ``first`` to ``last`` (inclusive),
    ``batch`` a transaction; how many rows changed."""
    fields = [Person._meta.get_field(name) for name in FIELDS]
    changed, after_pk = 0, first - 1
    while True:
        with transaction.atomic():
            rows = list(Person.objects.select_for_update()
                        .filter(pk__gt=after_pk, pk__lte=last).order_by("pk")[:batch])
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
        after_pk = rows[-1].pk
    return changed


def _own_connections() -> None:
    """In a forked process: new connection objects for every database, so that nothing
    of the parent's (a socket, a transaction's state) is used here."""
    for alias in connections:
        connections[alias] = connections.create_connection(alias)


def _rebuild_in_child(first: int, last: int, batch: int) -> int:
    try:
        return rebuild(first, last, batch)
    finally:
        connections.close_all()


def ranges(first: int, last: int, parts: int) -> list[tuple[int, int]]:
    """``first``..``last`` cut into at most ``parts`` consecutive ranges of ids."""
    size = max(1, -(-(last - first + 1) // parts))
    return [(start, min(start + size - 1, last)) for start in range(first, last + 1, size)]


class Command(BaseCommand):
    help = "Fill or recompute the person search keys of every person."

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=1000)
        parser.add_argument("--workers", type=int, default=1,
                            help="processes, each over its own range of ids (one per CPU)")

    def handle(self, *args, batch=1000, workers=1, **options):
        if batch < 1:
            raise CommandError("--batch must be at least 1")
        if workers < 1:
            raise CommandError("--workers must be at least 1")
        bounds = Person.objects.aggregate(first=Min("pk"), last=Max("pk"))
        changed = 0
        if bounds["first"] is not None and workers == 1:
            changed = rebuild(bounds["first"], bounds["last"], batch)
        elif bounds["first"] is not None:
            # Each process opens its own connections: none may be shared over a fork.
            connections.close_all()
            with multiprocessing.get_context("fork").Pool(
                    workers, initializer=_own_connections) as pool:
                changed = sum(pool.starmap(
                    _rebuild_in_child, [(first, last, batch) for first, last in
                                        ranges(bounds["first"], bounds["last"], workers)]))
        self.stdout.write(f"people.Person: {changed} row(s) rebuilt")
