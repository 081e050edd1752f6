"""Check that the data and the key store belong together (after a restore, or any day).

Every data key the data refers to (a person's ``key_id``, and the key id inside every
ciphertext of every encrypted column) must be in the key store, or be recorded there as
destroyed, and a destroyed key may only be referred to by someone who is erased. Every
stored key must be wrapped by a configured master key. Nothing is decrypted.

A key store restored from before the data misses the keys of the newest people: their
cases would not open. This command names them (person id and case numbers, nothing
personal) and exits with status 1 (docs/deployment.md, "Backup and restore").
"""

from __future__ import annotations

from collections import Counter, defaultdict

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from casedesk.core import crypto
from casedesk.core.fields import DataKeyField, _Encrypted
from casedesk.core.models import DataKey, DestroyedKey

SHOWN = 10


def _references() -> tuple[dict[str, list[str]], int]:
    """{key id: ["people_person.key_id #12", …]} for every reference in the data
    database (a few places per key), and the number of references."""
    refs: dict[str, list[str]] = defaultdict(list)
    total = 0
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for model in apps.get_models():
            if model._meta.proxy or not model._meta.managed or model in (DataKey, DestroyedKey):
                continue
            table, pk = model._meta.db_table, model._meta.pk.column
            names = {f.name for f in model._meta.concrete_fields}
            for field in model._meta.concrete_fields:
                if isinstance(field, DataKeyField):
                    if "erased_at" not in names:
                        continue  # import files: their keys end with the import
                    # Names from the models, quoted; no input reaches the SQL.
                    sql = (f"SELECT {quote(field.column)}, MIN({quote(pk)}), COUNT(*) "  # noqa: S608
                           f"FROM {quote(table)} WHERE {quote(field.column)} <> '' "
                           f"GROUP BY {quote(field.column)}")
                elif isinstance(field, _Encrypted):
                    key = f"SUBSTR({quote(field.column)}, 5, 32)"
                    sql = (f"SELECT {key}, MIN({quote(pk)}), COUNT(*) FROM {quote(table)} "  # noqa: S608
                           f"WHERE {quote(field.column)} LIKE 'ck1.%%' GROUP BY {key}")
                else:
                    continue
                cursor.execute(sql)
                for key_id, row, count in cursor.fetchall():
                    total += count
                    if len(refs[key_id]) < 3:
                        refs[key_id].append(f"{table}.{field.column} #{row}")
    return refs, total


class Command(BaseCommand):
    help = ("Check that every data key the data refers to is in the key store (a restore "
            "in the wrong order misses the newest); exits 1 on a problem.")

    def handle(self, *args, **options):
        refs, total = _references()
        stored = dict(DataKey.objects.values_list("pk", "master_key"))
        destroyed = set(DestroyedKey.objects.values_list("pk", flat=True))
        missing = sorted(k for k in refs if k not in stored and k not in destroyed)
        # A destroyed key still referred to: the data is older than an erasure (or the
        # erasure did not finish). Erased people refer to no key at all.
        gone = sorted(k for k in refs if k in destroyed and k not in stored)
        try:
            configured = set(crypto.master_keys().keys)
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from None
        per_master = Counter(stored.values())
        unwrappable = {m: n for m, n in per_master.items() if m not in configured}

        out = self.stdout.write
        out(f"data: {total} reference(s) to {len(refs)} data key(s)")
        out(f"key store: {len(stored)} data key(s), {len(destroyed)} recorded as destroyed; "
            "by master key: " + (", ".join(f"{m} {n}" for m, n in sorted(per_master.items()))
                                 or "none"))
        owners = crypto.key_owners(missing[:SHOWN] + gone[:SHOWN])
        problems = 0
        if missing:
            problems += len(missing)
            out(self.style.ERROR(
                f"MISSING: {len(missing)} data key(s) referred to by the data are not in "
                "the key store (it is older than the data, or damaged); the first:"))
            for key_id in missing[:SHOWN]:
                out(f"  {key_id}: {owners.get(key_id, 'no person')}; "
                    f"in {', '.join(refs[key_id])}")
        if gone:
            problems += len(gone)
            out(self.style.ERROR(
                f"DESTROYED: {len(gone)} destroyed data key(s) are still referred to by "
                "people not erased in this data (it is older than their erasure: run "
                "person_erase for them again); the first:"))
            for key_id in gone[:SHOWN]:
                out(f"  {key_id}: {owners.get(key_id, 'no person')}; "
                    f"in {', '.join(refs[key_id])}")
        if unwrappable:
            problems += sum(unwrappable.values())
            out(self.style.ERROR(
                "UNWRAPPABLE: data keys wrapped by master keys that are not configured: "
                + ", ".join(f"{m} ({n})" for m, n in sorted(unwrappable.items()))))
        if settings.PRODUCTION and per_master.get("s0"):
            problems += per_master["s0"]
            out(self.style.ERROR(
                f"{per_master['s0']} data key(s) are wrapped by 's0', derived from "
                "DJANGO_SECRET_KEY: run manage.py keys_rotate"))
        if problems:
            raise CommandError(f"backup_verify: {problems} problem(s); see docs/deployment.md")
        out(self.style.SUCCESS("OK: every data key the data refers to is in the key store"))
