"""Inserting many new rows fast: PostgreSQL's COPY instead of a multi-row INSERT.

``QuerySet.bulk_create`` compiles an INSERT with one parameter per value and passes every
value through its field's ``pre_save``, ``get_db_prep_save`` and psycopg's quoting: about
3 µs a value, which for the ~120 values of one public appeal costs more than everything
else the batch does in Python. :func:`create` writes the same rows with one COPY per
table, computing in Python only what a field computes itself (encryption, blind indexes,
search tokens, similarity signatures, ``auto_now`` dates: the fields whose ``pre_save``
is their own) and taking every other value as the instance holds it. Ids come from the
table's sequence first, in one query, so the instances have their primary keys as after
``bulk_create``.

Like ``bulk_create``: no ``save()`` and no model signals; triggers in the database fire
(COPY fires INSERT triggers). On another database (SQLite) :func:`create` is
``bulk_create``.

:class:`CopyTable` (one per model, :func:`copy_table`) holds the rules that make a
column's value from what the row holds; :func:`create` and the CSV importer
(``intake.bulk_import``, which sends its COPYs from threads of its own) both build their
rows with it, and :func:`copy_text` is how both put them in COPY's text format.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import uuid
from collections.abc import Iterator

from django.db import connections, models, router
from django.utils import timezone

from .crypto import is_sealed_text, key_new, seal_text
from .fields import (
    BlindIndexField,
    DataKeyField,
    PersonKeysField,
    SearchTokensField,
    SimilarityField,
    _Encrypted,
    blind_value,
)
from .similarity import signature as similarity_signature
from .tokens import text_tokens as search_tokens

_PLAIN_PRE_SAVE = models.Field.pre_save


class CopyTable:
    """How the rows of one model are COPYed: the SQL, and each column's value worked out
    as the model's field would in ``pre_save``, once, for both writers of COPY rows:
    :func:`create` (model instances) and the CSV importer (``intake.bulk_import``, plain
    dicts of values by attribute name, no instance). The rules:

    - sealed fields (``core.fields`` encrypted ones): the field's empty value, else
      sealed with the row's data key (``key_id``, or the instance's ``data_key_id()``);
      an instance's value already sealed is kept as it is, as the field's ``pre_save``
      does, while a dict's values are plaintext by contract (an imported text that looks
      like a ciphertext is sealed all the same);
    - blind indexes and search tokens: computed from the plaintext of their sources (for
      an instance, kept as they are when a source is already sealed), as their fields do;
    - a data key field: the value given, else a new key (not for an erased row);
    - JSON: encoded with the field's encoder (the few flat dicts of strings most rows
      repeat, such as event data, encoded once), None as SQL NULL;
    - ``auto_now``/``auto_now_add`` dates: ``now``;
    - a value missing from a dict: the field's default;
    - a foreign key whose id is unset: the id of the related object given to the
      instance and saved since (as ``bulk_create`` takes it).

    With an instance the computed values are also set on it, as ``pre_save`` does."""

    def __init__(self, model, alias: str, *, with_auto_pk: bool) -> None:
        self.model = model
        self.alias = alias
        ops = connections[alias].ops
        pk = model._meta.pk
        auto = isinstance(pk, models.AutoField)
        self.fields = [f for f in model._meta.concrete_fields if not f.generated
                       and (with_auto_pk or not (auto and f is pk))]
        columns = ", ".join(ops.quote_name(f.column) for f in self.fields)
        self.sql = f"COPY {ops.quote_name(model._meta.db_table)} ({columns}) FROM STDIN"
        self.auto_pk = pk.attname if auto and with_auto_pk else None
        self.pk_left_out = auto and not with_auto_pk
        # Every column as a plain value first (the value given, else the field's default,
        # the same for every row), then the computed ones by position.
        self.names: list[str] = []
        self.defaults: list = []
        self.computed: list[tuple[int, str, str, object]] = []
        self.json_memo: dict = {}
        for i, f in enumerate(self.fields):
            kind, extra, default = _column(f)
            self.names.append(f.attname)
            self.defaults.append(default)
            if kind != "plain":
                self.computed.append((i, f.attname, kind, extra))
        # A dict's related ids are given, and it has no field of its own kind.
        self.computed_dict = [c for c in self.computed if c[2] not in ("fk", "pre_save")]

    def row(self, values: dict, key_id: str | None, now: dt.datetime, obj=None) -> list:
        """The row's column values, ready for :func:`copy_text`: from ``values`` (an
        instance's ``__dict__`` with ``obj`` the instance, or a dict of values by
        attribute name), sealed with the data key ``key_id`` (None: ``obj``'s)."""
        out = list(map(values.get, self.names, self.defaults))
        for i, name, kind, extra in self.computed if obj is not None else self.computed_dict:
            if kind == "seal":
                value = out[i]
                field, aad, empty = extra
                if field.is_empty(value):
                    out[i] = empty
                elif obj is None or not is_sealed_text(value):
                    if key_id is None:
                        key_id = obj.data_key_id()
                    out[i] = seal_text(key_id, field.to_plain(value), aad)
            elif kind == "blind":
                purpose, sources = extra
                parts = [values.get(s) for s in sources]
                if obj is None or not any(map(is_sealed_text, parts)):
                    out[i] = blind_value(purpose, *parts)
                    if obj is not None:
                        values[name] = out[i]
            elif kind == "tokens":
                texts = [values.get(s) or "" for s in extra]
                if obj is not None:
                    texts = [t for t in texts if not is_sealed_text(t)]
                out[i] = search_tokens(*texts)
                if obj is not None:
                    values[name] = out[i]
            elif kind == "similarity":
                texts = [values.get(s) or "" for s in extra]
                if obj is None or not any(map(is_sealed_text, texts)):
                    out[i] = similarity_signature(*texts)
                    if obj is not None:
                        values[name] = out[i]
            elif kind == "person":
                sources, compute = extra
                parts = [values.get(s) for s in sources]
                if obj is None or not any(map(is_sealed_text, parts)):
                    out[i] = compute(*parts)
                    if obj is not None:
                        values[name] = out[i]
            elif kind == "json":
                value = values[name] if name in values else extra.get_default()
                out[i] = None if value is None else self.json(value, extra.encoder)
            elif kind == "fk":
                if out[i] is None:
                    out[i] = _related_id(obj, extra)
            elif kind == "default":
                out[i] = values[name] if name in values else extra.get_default()
            elif kind == "key":
                if not out[i] and values.get("erased_at") is None:
                    out[i] = values[name] = key_new()
            elif kind == "now":  # a DateTimeField (extra), else a DateField
                out[i] = now if extra else dt.date.today()
                if obj is not None:
                    values[name] = out[i]
            else:  # "pre_save": a field of its own kind (files)
                out[i] = extra.get_prep_value(extra.pre_save(obj, True))
        return out

    def json(self, value, encoder) -> str:
        """``value`` as JSON. The few flat dicts of strings that most rows repeat (event
        data such as {"channel": "letter"}, the register move) are encoded once."""
        if type(value) is dict and all(type(k) is str and type(v) is str
                                       for k, v in value.items()):
            key = (encoder, tuple(value.items()))
            text = self.json_memo.get(key)
            if text is None:
                if len(self.json_memo) > 10_000:
                    self.json_memo.clear()
                text = self.json_memo[key] = json.dumps(value, cls=encoder)
            return text
        if type(value) is list and not value:
            return "[]"
        return json.dumps(value, cls=encoder)

    def text(self, objs: list, now: dt.datetime | None = None) -> bytes:
        """The COPY text of the model instances ``objs``."""
        now = now or timezone.now()
        return copy_text([self.row(obj.__dict__, None, now, obj) for obj in objs])


def _column(f) -> tuple[str, object, object]:
    """(kind, what the kind needs, the default of a plain column) of the field ``f``."""
    if isinstance(f, _Encrypted):
        return "seal", (f, f._aad(), None if f.null else ""), None
    if isinstance(f, BlindIndexField):
        return "blind", (f.purpose, f.sources), None
    if isinstance(f, PersonKeysField):
        return "person", (f.sources, f.compute), None
    if isinstance(f, SearchTokensField):
        return "tokens", f.sources, None
    if isinstance(f, SimilarityField):
        return "similarity", f.sources, None
    if isinstance(f, DataKeyField):
        return "key", None, None
    if isinstance(f, models.JSONField):
        return "json", f, None
    if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
        return "now", isinstance(f, models.DateTimeField), None
    if f.is_relation:
        return "fk", f, None if f.has_default() and callable(f.default) else f.get_default()
    if f.has_default() and callable(f.default):
        return "default", f, None
    if _computes(f):
        return "pre_save", f, None
    return "plain", None, f.get_default()


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


def copy_table(model, *, using: str | None = None, ids: bool = True) -> CopyTable:
    """The (cached) :class:`CopyTable` of ``model`` on the database ``using`` (the one
    ``model`` is written to by default); ``ids``: with its automatic primary key."""
    alias = using or router.db_for_write(model)
    key = (model, alias, ids)
    table = _tables.get(key)
    if table is None:
        table = _tables[key] = CopyTable(model, alias, with_auto_pk=ids)
    return table


def _written_where(objs: list, using: str | None):
    """The model of ``objs``, the alias they are written to and its connection."""
    model = type(objs[0])
    alias = using or router.db_for_write(model)
    return model, alias, connections[alias]


def create(objs: list, *, using: str | None = None, ids: bool = True) -> list:
    """Insert the new, unsaved model instances ``objs`` (all of one model) and return
    them, saved: ``bulk_create`` by COPY on PostgreSQL. With ``ids`` (the default) they
    get their primary keys (those without one take theirs from the sequence, one query;
    see also :func:`ids_reserve`); ``ids=False`` leaves an automatic primary key to the
    database and the instances without it, one query fewer, for rows nothing in memory
    refers to afterwards."""
    if not objs:
        return objs
    model, alias, connection = _written_where(objs, using)
    if connection.vendor != "postgresql":
        return model._default_manager.db_manager(alias).bulk_create(objs)
    table = copy_table(model, using=alias, ids=ids)
    if table.auto_pk is not None:
        missing = [obj for obj in objs if obj.__dict__.get(table.auto_pk) is None]
        if missing:
            ids_reserve([(model, missing)], using=alias)
    elif table.pk_left_out and any(obj.pk is not None for obj in objs):
        raise ValueError("bulk.create(ids=False) takes rows without primary keys")
    data = table.text(objs)
    with connection.cursor() as cursor, cursor.copy(table.sql) as copy:
        copy.write(data)
    for obj in objs:
        obj._state.adding = False
        obj._state.db = alias
    return objs


def create_new(objs: list, *, using: str | None = None) -> list:
    """``bulk_create(objs, ignore_conflicts=True)`` for new instances of one model without
    primary keys and with plain fields only (numbers, text, dates, JSON: none computing
    its own value in ``pre_save``): a row that a unique constraint already holds is
    skipped. On PostgreSQL one ``INSERT ... SELECT ... FROM jsonb_to_recordset(%s)
    ON CONFLICT DO NOTHING`` with the rows as ONE JSON parameter: ``bulk_create`` compiled
    and quoted a parameter per value, a fifth of the duplicate check's CPU. The instances
    stay without primary keys, as after ``bulk_create`` with ``ignore_conflicts``."""
    if not objs:
        return objs
    model, alias, connection = _written_where(objs, using)
    if connection.vendor != "postgresql":
        return model._default_manager.db_manager(alias).bulk_create(
            objs, ignore_conflicts=True)
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    own = [f.name for f in fields if type(f).pre_save is not _PLAIN_PRE_SAVE and not (
        isinstance(f, models.DateField) and not (f.auto_now or f.auto_now_add))]
    if own:
        raise ValueError(f"create_new takes plain fields only, not {own}")
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    types = ", ".join(f"{quote(f.column)} {f.db_type(connection)}" for f in fields)
    rows = json.dumps([{f.column: getattr(obj, f.attname) for f in fields} for obj in objs],
                      default=_json_value)
    # The model's own (quoted) names and types, and one placeholder.
    sql = (f"INSERT INTO {quote(model._meta.db_table)} ({columns}) "  # noqa: S608
           f"SELECT {columns} FROM jsonb_to_recordset(%s::jsonb) AS r({types}) "
           "ON CONFLICT DO NOTHING")
    with connection.cursor() as cursor:
        cursor.execute(sql, [rows])
    return objs


def _json_value(value):
    """A value json cannot write, as PostgreSQL reads it back exactly (dates and times with
    their microseconds: Django's JSON encoder cuts them to milliseconds)."""
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID | decimal.Decimal):
        return str(value)
    raise TypeError(f"no JSON form for {type(value).__name__}")


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
