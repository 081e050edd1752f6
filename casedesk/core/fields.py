"""Model fields whose values are stored encrypted with a person's data key.

The model says which key: it defines ``data_key_id()`` returning the id of the data key
of the person the row belongs to (see :mod:`casedesk.core.crypto`). The value is sealed
in ``pre_save``, so ``save()``, ``create()`` and ``bulk_create()`` all encrypt; in memory
the attribute keeps its plaintext.

Such a field cannot be compared in a query (``filter(full_name=…)``) or written by
``QuerySet.update()``: both would put plaintext into SQL, so both raise ``TypeError``.
Use a blind index for lookups.

A value whose key was destroyed (erasure, recorded in the key store) reads as the
field's empty value: ``""``, ``None`` or ``{}``. A value whose key is simply not in the
key store raises :class:`casedesk.core.crypto.KeyNotInStore`, naming the column and the
key's owner (a person's id and case numbers): the key store is older than the data, and
reading it as empty would show blank cases and let a save overwrite them.
"""

from __future__ import annotations

import datetime as dt
import json

from django import forms
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from . import crypto


class _Encrypted(models.TextField):
    empty: object = ""

    def _aad(self) -> str:
        return f"{self.model._meta.db_table}.{self.column}"

    def to_plain(self, value) -> str:
        return str(value)

    def from_plain(self, text: str):
        return text

    def is_empty(self, value) -> bool:
        return value is None or value == ""

    def pre_save(self, model_instance, add):
        value = getattr(model_instance, self.attname)
        if self.is_empty(value):
            return None if self.null else ""
        if crypto.is_sealed_text(value):
            return value
        return crypto.seal_text(model_instance.data_key_id(), self.to_plain(value), self._aad())

    def get_prep_value(self, value):
        if self.is_empty(value):
            return None if value is None and self.null else ""
        if crypto.is_sealed_text(value):
            return value
        raise TypeError(
            f"{self.model.__name__}.{self.name} is encrypted: it cannot be compared in a "
            "query or written with update(); use its blind index or save() the instance")

    def get_lookup(self, lookup_name):
        lookup = super().get_lookup(lookup_name)
        # iexact, contains, startswith, regex… skip get_prep_value and would put the
        # plaintext into the SQL; isnull carries no value.
        if lookup is not None and not lookup.prepare_rhs and lookup_name != "isnull":
            raise TypeError(
                f"{self.model.__name__}.{self.name} is encrypted: it cannot be searched "
                f"with {lookup_name!r}; use its blind index or the search tokens")
        return lookup

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return self.empty
        try:
            return self.from_plain(crypto.open_text(value, self._aad()))
        except crypto.KeyMissing:
            return self.empty
        except crypto.KeyNotInStore as missing:
            raise crypto.KeyNotInStore(missing.key_id, self._aad()) from None

    def to_python(self, value):
        return value

    def value_to_string(self, obj):
        return self.to_plain(self.value_from_object(obj)) if not self.is_empty(
            self.value_from_object(obj)) else ""


class EncryptedTextField(_Encrypted):
    def formfield(self, **kwargs):
        return super().formfield(**kwargs)


class EncryptedCharField(_Encrypted):
    """Plaintext limited to ``max_length`` characters (checked in forms and validation);
    the column itself is unbounded text because ciphertexts are longer."""

    def formfield(self, **kwargs):
        return forms.CharField(max_length=self.max_length, required=not self.blank,
                               label=self.verbose_name, **kwargs)


class EncryptedDateField(_Encrypted):
    empty = None

    def to_plain(self, value) -> str:
        return value.isoformat() if isinstance(value, dt.date) else str(value)

    def from_plain(self, text: str):
        return dt.date.fromisoformat(text)

    def to_python(self, value):
        if isinstance(value, str) and value and not crypto.is_sealed_text(value):
            return dt.date.fromisoformat(value)
        return value

    def formfield(self, **kwargs):
        return forms.DateField(required=not self.blank, label=self.verbose_name, **kwargs)


class EncryptedJSONField(_Encrypted):
    """A dict of free texts, sealed as one JSON document."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("default", dict)
        kwargs.setdefault("blank", True)
        super().__init__(*args, **kwargs)

    @property
    def empty(self):
        return {}

    def is_empty(self, value) -> bool:
        return not value

    def to_plain(self, value) -> str:
        return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False, sort_keys=True)

    def from_plain(self, text: str):
        return json.loads(text)


class _DerivedTextField(models.TextField):
    """A column computed from the plaintext of other fields (``sources``) when the row is
    saved, never edited."""

    def __init__(self, *args, sources: tuple[str, ...] = (), **kwargs):
        self.sources = tuple(sources)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["sources"] = self.sources
        return name, path, args, kwargs


class SearchTokensField(_DerivedTextField):
    """Keyed-hash search words of the plaintext of ``sources`` (casedesk.core.tokens),
    computed when the row is saved (``save()`` or ``bulk_create()``)."""

    def compute(self, *texts) -> str:
        """The stored value for the plaintexts of ``sources``, in order."""
        from . import tokens

        return tokens.text_tokens(*texts)

    def pre_save(self, model_instance, add):
        texts = [getattr(model_instance, s) or "" for s in self.sources]
        value = self.compute(*[t for t in texts if not crypto.is_sealed_text(t)])
        setattr(model_instance, self.attname, value)
        return value


class PersonKeysField(SearchTokensField):
    """Keyed hashes of the normal forms a person is found by (name lemmas and their
    phonetic codes, birth date, unit number, phone in E.164, email:
    casedesk.core.tokens.person_tokens). ``sources`` name, in this order, the fields of
    the full name, birth date, unit, phone and email. A source whose value is still
    sealed (not read) leaves the stored value as it is."""

    def compute(self, *values) -> str:
        from . import tokens

        return tokens.person_tokens(*values)

    def pre_save(self, model_instance, add):
        values = [getattr(model_instance, s) for s in self.sources]
        if any(crypto.is_sealed_text(v) for v in values):
            return getattr(model_instance, self.attname)
        value = self.compute(*values)
        setattr(model_instance, self.attname, value)
        return value


class PersonMatchKeysField(PersonKeysField):
    """Keyed hashes of the pairs the duplicate check looks a person up by (two name words,
    a name word with the birth date or the unit; the phone, the email:
    casedesk.core.tokens.person_match_tokens). ``sources`` as ``PersonKeysField``'s."""

    def compute(self, *values) -> str:
        from . import tokens

        return tokens.person_match_tokens(*values)


class PersonTypoKeysField(PersonKeysField):
    """Keyed hashes of the forms one letter apart of a person's name words
    (casedesk.core.tokens.person_typo_tokens), for the search of a misspelt name; apart
    from ``PersonKeysField`` so that the case search rows, which copy those keys, stay
    small. ``sources``: the field of the full name."""

    def compute(self, *values) -> str:
        from . import tokens

        return tokens.person_typo_tokens(*values)


class SimilarityField(_DerivedTextField):
    """A keyed MinHash signature of the plaintext of ``sources`` (casedesk.core.similarity),
    computed when the row is saved (``save()``, ``bulk_create()`` or core.bulk's COPY)."""

    def pre_save(self, model_instance, add):
        from . import similarity

        texts = [getattr(model_instance, s) or "" for s in self.sources]
        if any(crypto.is_sealed_text(t) for t in texts):
            return getattr(model_instance, self.attname)
        value = similarity.signature(*texts)
        setattr(model_instance, self.attname, value)
        return value


class BlindIndexField(models.CharField):
    """A keyed hash of the plaintext of ``sources`` (all must be non-empty, else "")."""

    def __init__(self, *args, sources: tuple[str, ...] = (), purpose: str = "", **kwargs):
        self.sources = tuple(sources)
        self.purpose = purpose
        kwargs.setdefault("max_length", 32)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("db_index", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["sources"] = self.sources
        kwargs["purpose"] = self.purpose
        kwargs["db_index"] = self.db_index  # explicit: __init__ defaults it to True
        return name, path, args, kwargs

    def pre_save(self, model_instance, add):
        parts = [getattr(model_instance, s) for s in self.sources]
        if any(crypto.is_sealed_text(p) for p in parts):
            return getattr(model_instance, self.attname)
        value = blind_value(self.purpose, *parts)
        setattr(model_instance, self.attname, value)
        return value


def blind_value(purpose: str, *parts) -> str:
    """The blind index of ``parts`` for ``purpose`` as :class:`BlindIndexField` stores it
    (dates in ISO form, phones as their digits)."""
    clean = []
    for part in parts:
        if isinstance(part, dt.date):
            part = part.isoformat()
        if purpose == "phone" and part:
            part = "".join(ch for ch in str(part) if ch.isdigit())[-10:]
        clean.append(part)
    return crypto.blind_index(purpose, *clean)


class DataKeyField(models.CharField):
    """The id of the row's data key in the key store; a new key is made on first save."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 32)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("db_index", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["db_index"] = self.db_index  # explicit: __init__ defaults it to True
        return name, path, args, kwargs

    def pre_save(self, model_instance, add):
        value = getattr(model_instance, self.attname)
        if not value and getattr(model_instance, "erased_at", None) is None:
            value = crypto.key_new()
            setattr(model_instance, self.attname, value)
        return value
