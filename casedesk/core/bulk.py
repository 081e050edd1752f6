"""Inserting many new rows fast: PostgreSQL's COPY instead of a multi-row INSERT.

``QuerySet.bulk_create`` compiles an INSERT with one parameter per value and passes every
value through its field's ``pre_save``, ``get_db_prep_save`` and psycopg's quoting: about
3 µs a value, which for the ~120 values of one public appeal costs more than everything
else the batch does in Python. :func:`create` writes the same rows with one COPY per
table, computing in Python only what a field computes itself (encryption, blind indexes,
search tokens, ``auto_now`` dates: the fields whose ``pre_save`` is their own) and taking
every other value as the instance holds it. Ids come from the table's sequence first, in
one query, so the instances have their primary keys as after ``bulk_create``.

Like ``bulk_create``: no ``save()`` and no model signals; triggers in the database fire
(COPY fires INSERT triggers). On another database (SQLite) :func:`create` is
``bulk_create``.

:func:`copy_text` is also how the CSV importer (``intake.bulk_import``) feeds its COPYs.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import uuid
from collections.abc import Iterator

from django.db import connections, models, router

_PLAIN_PRE_SAVE = models.Field.pre_save


class _Table:
    """How the rows of one model are COPYed: the SQL, and for each column whether the
    field computes its value (``pre_save``) and whether it is JSON."""

    def __init__(self, model, alias: str, *, with_auto_pk: bool) -> None:
        ops = connections[alias].ops
        pk = model._meta.pk
        auto = isinstance(pk, models.AutoField)
        self.fields = [f for f in model._meta.concrete_fields if not f.generated
                       and (with_auto_pk or not (auto and f is pk))]
        columns = ", ".join(ops.quote_name(f.column) for f in self.fields)
        self.sql = f"COPY {ops.quote_name(model._meta.db_table)} ({columns}) FROM STDIN"
        self.columns = [
            (f.attname, f if _computes(f) else None,
             f.encoder if isinstance(f, models.JSONField) else False,
             f if f.is_relation and f.concrete else None)
            for f in self.fields]
        self.auto_pk = pk.attname if auto and with_auto_pk else None
        self.pk_left_out = auto and not with_auto_pk

    def row(self, obj) -> str:
        values = obj.__dict__
        cells = []
        for attname, computing, encoder, relation in self.columns:
            value = computing.pre_save(obj, True) if computing is not None else values[attname]
            if value is None and relation is not None:
                value = _related_id(obj, relation)
            if encoder is not False and value is not None:
                value = json.dumps(value, cls=encoder)
            cells.append(copy_value(value))
        return "\t".join(cells) + "\n"


def _related_id(obj, field):
    """The id of the related object given to ``obj`` before that object was saved (as
    ``bulk_create`` takes it: ``Case(service_member=person)``, then ``person`` saved)."""
    if not field.is_cached(obj):
        return None
    related = field.get_cached_value(obj)
    if related is None:
        return None
    value = getattr(related, field.target_field.attname)
    if value is None:
        raise ValueError(f"{type(obj).__name__}.{field.name}: the related object is not "
                         "saved")
    setattr(obj, field.name, related)  # sets the id and keeps the object cached
    return value


def _computes(field) -> bool:
    """Whether ``field`` makes its value in ``pre_save`` (encrypted fields, blind indexes,
    search tokens, data keys, ``auto_now`` dates), rather than storing the attribute."""
    return (type(field).pre_save is not _PLAIN_PRE_SAVE
            and not (isinstance(field, models.DateField)
                     and not (field.auto_now or field.auto_now_add)))


_tables: dict = {}


def create(objs: list, *, using: str | None = None, ids: bool = True) -> list:
    """Insert the new, unsaved model instances ``objs`` (all of one model) and return
    them, saved: ``bulk_create`` by COPY on PostgreSQL. With ``ids`` (the default) they
    get their primary keys (those without one take theirs from the sequence, one query;
    see also :func:`ids_reserve`); ``ids=False`` leaves an automatic primary key to the
    database and the instances without it, one query fewer, for rows nothing in memory
    refers to afterwards."""
    if not objs:
        return objs
    model = type(objs[0])
    alias = using or router.db_for_write(model)
    connection = connections[alias]
    if connection.vendor != "postgresql":
        return model._default_manager.db_manager(alias).bulk_create(objs)
    key = (model, alias, ids)
    table = _tables.get(key)
    if table is None:
        table = _tables[key] = _Table(model, alias, with_auto_pk=ids)
    if table.auto_pk is not None:
        missing = [obj for obj in objs if obj.__dict__.get(table.auto_pk) is None]
        if missing:
            ids_reserve([(model, missing)], using=alias)
    elif table.pk_left_out and any(obj.pk is not None for obj in objs):
        raise ValueError("bulk.create(ids=False) takes rows without primary keys")
    data = "".join([table.row(obj) for obj in objs]).encode()
    with connection.cursor() as cursor, cursor.copy(table.sql) as copy:
        copy.write(data)
    for obj in objs:
        obj._state.adding = False
        obj._state.db = alias
    return objs


def ids_reserve(groups: list[tuple[type, list]], *, using: str = "default") -> None:
    """Give the unsaved instances of each (model, instances) pair ids from their table's
    sequence, all in one query. Does nothing on another database than PostgreSQL (there
    ``create`` is ``bulk_create``, which sets the ids)."""
    groups = [(model, objs) for model, objs in groups if objs]
    if not groups or connections[using].vendor != "postgresql":
        return
    parts, params = [], []
    for index, (model, objs) in enumerate(groups):
        parts.append("SELECT %s, nextval(pg_get_serial_sequence(%s, %s)) "
                     "FROM generate_series(1, %s)")
        params += [index, model._meta.db_table, model._meta.pk.column, len(objs)]
    with connections[using].cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        drawn: list[list[int]] = [[] for _ in groups]
        for index, value in cursor.fetchall():
            drawn[index].append(value)
    for (_model, objs), values in zip(groups, drawn, strict=True):
        for obj, value in zip(objs, sorted(values), strict=True):
            obj.pk = value


def new_ids(model, count: int, *, using: str | None = None) -> Iterator[int]:
    """``count`` ids from the sequence of ``model``'s table, in one query."""
    alias = using or router.db_for_write(model)
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) "
                       "FROM generate_series(1, %s)",
                       [model._meta.db_table, model._meta.pk.column, count])
        return iter([r[0] for r in cursor.fetchall()])


def copy_text(rows: list[list]) -> bytes:
    """``rows`` in COPY's text format (PostgreSQL docs, COPY, "Text Format"): columns
    separated by tabs, rows ended by newlines, NULL as \\N, backslash, tab, newline and
    carriage return escaped, bytea as \\x and hex digits."""
    return "".join(["\t".join(map(copy_value, row)) + "\n" for row in rows]).encode()


def copy_value(value) -> str:
    """One value in COPY's text format."""
    kind = type(value)
    if kind is str:
        if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
            return value.translate(_COPY_ESCAPES)
        return value
    if value is None:
        return "\\N"
    if kind is int:
        return str(value)
    if kind is bool:
        return "t" if value else "f"
    if kind is dt.datetime or kind is dt.date:
        return value.isoformat()
    if kind is bytes:
        return "\\\\x" + value.hex()
    if kind is uuid.UUID or kind is decimal.Decimal:
        return str(value)
    if kind is float:
        return repr(value)
    if isinstance(value, str):  # a choice (TextChoices, StrEnum): its value
        return copy_value(str.__str__(value))
    raise TypeError(f"no COPY text form for {kind.__name__}")


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
