"""Encryption at rest: sealing and opening, tampering, erasure by key destruction, master
keys, blind indexes and the guards of the encrypted model fields."""

from __future__ import annotations

import base64
import datetime as dt
import os

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction

from casedesk.accounts.roles import Role
from casedesk.cases.services import note_add
from casedesk.core import crypto
from casedesk.core.models import DataKey
from casedesk.people.models import Person

NAME = "Кржижановский Евлампий Феофилактович"
AAD = "people_person.full_name"


@pytest.fixture(autouse=True)
def _fresh_key_cache():
    """Every test unwraps its keys from the key store, not from an earlier test's cache."""
    crypto.cache_clear()
    yield
    crypto.cache_clear()


@pytest.fixture
def key(db):
    return crypto.key_new()


def raw_column(model, column: str, pk) -> str:
    """The stored value, bypassing the field (``values_list`` would decrypt it)."""
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    sql = f"SELECT {quote(column)} FROM {table} WHERE id = %s"  # noqa: S608 - model names
    with connection.cursor() as cursor:
        cursor.execute(sql, [pk])
        return cursor.fetchone()[0]


def flip(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1:]


def tamper_text(token: str, at: int) -> str:
    prefix, key_id, body = token.split(".", 2)
    return f"{prefix}.{key_id}.{base64.b64encode(flip(base64.b64decode(body), at)).decode()}"


# ---------------------------------------------------------------------------- round trips


def test_text_round_trip(key):
    token = crypto.seal_text(key, NAME, AAD)
    assert token.startswith(f"ck1.{key}.")
    assert NAME not in token and "Кржижановск" not in token
    assert crypto.open_text(token, AAD) == NAME
    # A fresh nonce every time: the same text does not give the same ciphertext.
    assert crypto.seal_text(key, NAME, AAD) != token
    assert crypto.text_key_id(token) == key


def test_text_opens_after_the_cache_is_cleared(key):
    """The key is unwrapped from the key store, not only remembered from its creation."""
    token = crypto.seal_text(key, NAME, AAD)
    crypto.cache_clear()
    assert crypto.open_text(token, AAD) == NAME


def test_bytes_round_trip(key):
    data = b"%PDF-1.4 MARKER-7f3kq " + os.urandom(1000)
    blob = crypto.seal_bytes(key, data, "cases.document.file")
    assert blob.startswith(b"CK1")
    assert b"MARKER-7f3kq" not in blob
    assert crypto.open_bytes(blob, "cases.document.file") == data


def test_empty_text_and_bytes_round_trip(key):
    assert crypto.open_text(crypto.seal_text(key, "", AAD), AAD) == ""
    assert crypto.open_bytes(crypto.seal_bytes(key, b"", "f"), "f") == b""


# ---------------------------------------------------------------------------- tampering


@pytest.mark.parametrize("at", [0, 12, 20, -1])  # nonce, ciphertext, tag
def test_a_tampered_text_does_not_open(key, at):
    token = crypto.seal_text(key, NAME, AAD)
    assert crypto.open_text(token, AAD) == NAME
    with pytest.raises(crypto.KeyMissing):
        crypto.open_text(tamper_text(token, at), AAD)


@pytest.mark.parametrize("at", [3 + 16, 3 + 16 + 12 + 5, -1])  # nonce, ciphertext, tag
def test_tampered_bytes_do_not_open(key, at):
    blob = crypto.seal_bytes(key, b"some file content", "f")
    assert crypto.open_bytes(blob, "f") == b"some file content"
    with pytest.raises(crypto.KeyMissing):
        crypto.open_bytes(flip(blob, at), "f")


def test_a_truncated_or_foreign_ciphertext_does_not_open(key):
    token = crypto.seal_text(key, NAME, AAD)
    for bad in [token[:-8], "ck1." + key, "plain text", f"ck1.{key}.!!!notbase64!!!"]:
        with pytest.raises(crypto.KeyMissing):
            crypto.open_text(bad, AAD)
    blob = crypto.seal_bytes(key, b"content", "f")
    for bad in [blob[:20], b"%PDF-1.4 plain", b""]:
        with pytest.raises(crypto.KeyMissing):
            crypto.open_bytes(bad, "f")


def test_a_ciphertext_under_another_persons_key_id_does_not_open(db):
    mine, theirs = crypto.keys_new(2)
    token = crypto.seal_text(mine, NAME, AAD)
    relabelled = token.replace(f".{mine}.", f".{theirs}.")
    assert relabelled != token
    with pytest.raises(crypto.KeyMissing):
        crypto.open_text(relabelled, AAD)


def test_a_ciphertext_moved_to_another_column_does_not_open(key):
    token = crypto.seal_text(key, NAME, AAD)
    with pytest.raises(crypto.KeyMissing):
        crypto.open_text(token, "people_person.unit")
    blob = crypto.seal_bytes(key, b"content", "cases.document.file")
    with pytest.raises(crypto.KeyMissing):
        crypto.open_bytes(blob, "letters.letter.file")


def test_a_column_copied_into_another_reads_as_empty(db):
    person = Person.objects.create(full_name=NAME, unit="в/ч Заречье-97531")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE people_person SET unit = full_name WHERE id = %s", [person.pk])
    again = Person.objects.get(pk=person.pk)
    assert again.full_name == NAME  # control: the original column still opens
    assert raw_column(Person, "unit", person.pk) == raw_column(Person, "full_name", person.pk)
    assert again.unit == ""


# ---------------------------------------------------------------------------- erasure


def test_after_keys_destroy_nothing_opens(db):
    key, other = crypto.keys_new(2)
    token = crypto.seal_text(key, NAME, AAD)
    blob = crypto.seal_bytes(key, b"file", "f")
    kept = crypto.seal_text(other, "не стирать", AAD)
    assert crypto.keys_destroy([key, "", key]) == 1
    assert not crypto.key_exists(key)
    assert not DataKey.objects.filter(pk=key).exists()
    with pytest.raises(crypto.KeyMissing):
        crypto.open_text(token, AAD)
    with pytest.raises(crypto.KeyMissing):
        crypto.open_bytes(blob, "f")
    # Another person's key is untouched, and destroying again destroys nothing.
    assert crypto.open_text(kept, AAD) == "не стирать"
    assert crypto.keys_destroy([key]) == 0
    assert crypto.keys_destroy([]) == 0


def test_keys_destroy_reaches_a_key_another_process_has_not_cached(db):
    key = crypto.key_new()
    token = crypto.seal_text(key, NAME, AAD)
    crypto.cache_clear()
    crypto.keys_destroy([key])
    with pytest.raises(crypto.KeyMissing):
        crypto.open_text(token, AAD)


def test_encrypted_fields_of_an_erased_person_read_as_empty(db):
    person = Person.objects.create(
        full_name=NAME, birth_date=dt.date(1990, 5, 1), phone="+7 912 345-67-89",
        email="evlampiy@example.org", postal_address="Тмутаракань, ул. Заречная, 17",
        unit="в/ч Заречье-97531", service_type="mobilized")
    before = Person.objects.get(pk=person.pk)
    assert (before.full_name, before.birth_date, before.phone) == (
        NAME, dt.date(1990, 5, 1), "+7 912 345-67-89")

    crypto.keys_destroy([person.key_id])
    crypto.cache_clear()
    after = Person.objects.get(pk=person.pk)
    assert after.full_name == "" and after.email == "" and after.phone == ""
    assert after.postal_address == "" and after.unit == ""
    assert after.birth_date is None
    assert after.service_type == "mobilized"  # not personal, stays readable
    assert raw_column(Person, "full_name", person.pk).startswith("ck1.")


def test_erasing_the_service_member_leaves_the_applicants_appeal_readable(register, staff):
    case = register(text="Текст обращения матери.")
    note = note_add(actor=staff[Role.CASEWORKER], case=case, text="Заметка о Кржижановском")
    crypto.keys_destroy([case.service_member.key_id])
    crypto.cache_clear()
    assert note.__class__.objects.get(pk=note.pk).text == ""
    event = case.events.get(kind="note_added")
    assert event.texts == {}
    assert case.appeals.get().text == "Текст обращения матери."


def test_an_encrypted_json_field_reads_as_empty_after_erasure(register, staff):
    from casedesk.cases.models import CaseEvent
    from casedesk.cases.services import case_transition

    case = register()
    case_transition(actor=staff[Role.CASEWORKER], case=case, transition="start_review")
    case_transition(actor=staff[Role.CASEWORKER], case=case, transition="request_information",
                    message="Пришлите справку о ранении")
    [event] = [e for e in CaseEvent.objects.filter(case=case) if e.texts]
    assert event.texts == {"message": "Пришлите справку о ранении"}
    assert "Пришлите" not in raw_column(CaseEvent, "texts", event.pk)
    crypto.keys_destroy([case.service_member.key_id])
    crypto.cache_clear()
    assert CaseEvent.objects.get(pk=event.pk).texts == {}


# ---------------------------------------------------------------------------- master keys


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


GOOD = b64(bytes(range(32)))


@pytest.mark.parametrize("spec, message", [
    ("m1:not base64!", "not valid base64"),
    (f"m1:{GOOD[:-4]}", "must be 32 bytes"),
    (f"m1:{b64(bytes(16))}", "must be 32 bytes"),
    (f"m1:{b64(bytes(33))}", "must be 32 bytes"),
    (f"m1:{GOOD},m1:{b64(bytes(32))}", "repeated"),
    (f"m1:{GOOD}\nm1:{GOOD}", "repeated"),
    (GOOD, "id:base64key"),
    (f"bad-id:{GOOD}", "id:base64key"),
    (f":{GOOD}", "id:base64key"),
    (" , # only a comment", "holds no key"),
])
def test_bad_master_keys_are_refused(settings, spec, message):
    settings.CASEDESK_MASTER_KEYS = spec
    with pytest.raises(ImproperlyConfigured, match=message):
        crypto.master_keys()


def test_master_keys_are_parsed_first_is_current(settings):
    second = b64(os.urandom(32))
    settings.CASEDESK_MASTER_KEYS = f"# comment\nm2:{GOOD}\n m1 : {second} ,"
    masters = crypto.master_keys()
    assert masters.current == "m2"
    assert masters.keys["m2"] == bytes(range(32))
    assert masters.keys["m1"] == base64.b64decode(second)
    assert "s0" in masters.keys  # the development key stays readable for old wraps


def test_master_key_new_is_a_valid_entry(settings):
    entry = crypto.master_key_new()
    key_id, _, encoded = entry.partition(":")
    assert len(base64.b64decode(encoded)) == 32
    settings.CASEDESK_MASTER_KEYS = entry
    assert crypto.master_keys().current == key_id
    assert crypto.master_key_new() != entry


def test_wrap_under_a_configured_master_key(settings):
    entry = crypto.master_key_new()
    settings.CASEDESK_MASTER_KEYS = entry
    master_id = entry.partition(":")[0]
    raw = os.urandom(32)
    used, wrapped = crypto.wrap(raw)
    assert used == master_id
    assert raw not in wrapped and len(wrapped) == 12 + 32 + 16
    assert crypto.unwrap(used, wrapped) == raw
    # Under another master key the same id does not unwrap it.
    settings.CASEDESK_MASTER_KEYS = f"{master_id}:{b64(os.urandom(32))}"
    with pytest.raises(ImproperlyConfigured, match="does not unwrap"):
        crypto.unwrap(used, wrapped)


def test_a_key_wrapped_by_an_unconfigured_master_key_is_refused(settings):
    settings.CASEDESK_MASTER_KEYS = crypto.master_key_new()
    used, wrapped = crypto.wrap(os.urandom(32))
    settings.CASEDESK_MASTER_KEYS = f"other:{GOOD}"
    with pytest.raises(ImproperlyConfigured, match=used):
        crypto.unwrap(used, wrapped)


def test_data_keys_are_stored_wrapped_under_the_current_master_key(db, settings):
    entry = crypto.master_key_new()
    settings.CASEDESK_MASTER_KEYS = entry
    master_id = entry.partition(":")[0]
    key = crypto.key_new()
    token = crypto.seal_text(key, NAME, AAD)
    row = DataKey.objects.get(pk=key)
    assert row.master_key == master_id
    crypto.cache_clear()
    assert crypto.open_text(token, AAD) == NAME
    # Without the master key the data key cannot be unwrapped, so nothing opens.
    crypto.cache_clear()
    settings.CASEDESK_MASTER_KEYS = f"other:{GOOD}"
    with pytest.raises(ImproperlyConfigured):
        crypto.open_text(token, AAD)


def test_keys_wrapped_by_the_development_key_open_after_a_master_key_is_set(db, settings):
    settings.CASEDESK_MASTER_KEYS = ""
    key = crypto.key_new()
    assert DataKey.objects.get(pk=key).master_key == "s0"
    token = crypto.seal_text(key, NAME, AAD)
    settings.CASEDESK_MASTER_KEYS = crypto.master_key_new()
    crypto.cache_clear()
    assert crypto.open_text(token, AAD) == NAME


# ---------------------------------------------------------------------------- blind indexes


@pytest.mark.parametrize("variant", [
    "Иванов Пётр Сергеевич",
    "иванов пётр сергеевич",
    "ИВАНОВ ПЕТР СЕРГЕЕВИЧ",
    "  Иванов   Петр\tСергеевич ",
    "Иванов Пе\u0308тр Сергеевич",  # ё typed as е + combining diaeresis
    "Иванов\u00a0Пётр Сергеевич",  # no-break space
])
def test_blind_index_ignores_case_yo_and_spacing(variant):
    expected = crypto.blind_index("name+birth", "Иванов Петр Сергеевич", "1990-05-01")
    assert crypto.blind_index("name+birth", variant, "1990-05-01") == expected
    # Control: another name with the same letters rearranged does not match.
    assert crypto.blind_index("name+birth", "Петр Иванов Сергеевич", "1990-05-01") != expected


def test_blind_index_tells_different_values_and_purposes_apart():
    base = crypto.blind_index("name+birth", "Иванов Петр", "1990-05-01")
    assert len(base) == 32 and int(base, 16) >= 0
    assert crypto.blind_index("name+unit", "Иванов Петр", "1990-05-01") != base
    assert crypto.blind_index("name+birth", "Иванов Павел", "1990-05-01") != base
    assert crypto.blind_index("name+birth", "Иванов Петр", "1990-05-02") != base
    # Parts are separated: moving a word across the boundary changes the hash.
    assert crypto.blind_index("p", "a b", "c") != crypto.blind_index("p", "a", "b c")
    assert crypto.blind_index("email", "a@example.org") != crypto.blind_index(
        "phone", "a@example.org")


def test_blind_index_of_an_empty_part_is_empty():
    assert crypto.blind_index("name+birth", "Иванов", "") == ""
    assert crypto.blind_index("name+birth", "Иванов", None) == ""
    assert crypto.blind_index("name+birth", "   ", "1990-05-01") == ""
    assert crypto.blind_index("email") == ""


def test_blind_index_depends_on_its_key(settings):
    settings.CASEDESK_BLIND_INDEX_KEY = "one"
    first = crypto.blind_index("email", "a@example.org")
    settings.CASEDESK_BLIND_INDEX_KEY = "two"
    assert crypto.blind_index("email", "a@example.org") != first


def test_stored_blind_indexes_match_lookups(db):
    from casedesk.core.fields import blind_value

    person = Person.objects.create(full_name="Иванов Пётр", birth_date=dt.date(1990, 5, 1),
                                   phone="+7 (912) 345-67-89", email="Anna@Example.org",
                                   unit="12345")
    assert person.name_birth_index == blind_value(
        "name+birth", "иванов петр", dt.date(1990, 5, 1)) != ""
    assert person.phone_index == blind_value("phone", "89123456789") != ""
    assert person.email_index == blind_value("email", "anna@example.org") != ""
    assert Person.objects.filter(phone_index=blind_value("phone", "9123456789")).get() == person


# ---------------------------------------------------------------------------- field guards


def test_an_encrypted_field_cannot_be_compared_in_a_query(db):
    Person.objects.create(full_name=NAME)
    with pytest.raises(TypeError, match="encrypted"):
        Person.objects.filter(full_name=NAME)
    with pytest.raises(TypeError, match="encrypted"):
        Person.objects.filter(full_name__in=[NAME])
    with pytest.raises(TypeError, match="encrypted"):
        Person.objects.exclude(unit="12345")
    # Control: comparing with the empty value is allowed and works.
    assert Person.objects.filter(unit="").count() == 1
    assert Person.objects.exclude(full_name="").count() == 1


@pytest.mark.parametrize("lookup", [
    "iexact", "contains", "icontains", "startswith", "istartswith", "endswith",
    "iendswith", "regex", "iregex",
])
def test_an_encrypted_field_cannot_be_searched_with_a_pattern(db, lookup):
    """These lookups skip the field's value preparation: without a guard the plaintext
    would go into the SQL (and the server's logs) and silently match nothing."""
    with pytest.raises(TypeError, match="encrypted"):
        Person.objects.filter(**{f"full_name__{lookup}": "Кржижановский"})


def test_isnull_is_allowed_on_an_encrypted_field(db):
    Person.objects.create(full_name=NAME)
    assert Person.objects.filter(birth_date__isnull=True).count() == 1
    assert Person.objects.filter(full_name__isnull=True).count() == 0


def test_an_encrypted_field_cannot_be_written_with_update(db):
    person = Person.objects.create(full_name=NAME)
    sealed = raw_column(Person, "full_name", person.pk)
    with pytest.raises(TypeError, match="encrypted"), transaction.atomic():
        Person.objects.filter(pk=person.pk).update(full_name="Другое Имя")
    assert raw_column(Person, "full_name", person.pk) == sealed
    # Control: a non-encrypted field is updated as usual, and save() re-encrypts.
    assert Person.objects.filter(pk=person.pk).update(service_type="contract") == 1
    person.full_name = "Другое Имя"
    person.save()
    assert Person.objects.get(pk=person.pk).full_name == "Другое Имя"
    assert "Другое" not in raw_column(Person, "full_name", person.pk)


def test_bulk_create_encrypts(db):
    people = Person.objects.bulk_create([
        Person(full_name=NAME, phone="+7 912 345-67-89", birth_date=dt.date(1990, 5, 1)),
        Person(full_name="Петрова Мария"),
    ])
    assert all(p.pk and p.key_id for p in people)
    assert people[0].key_id != people[1].key_id
    # In memory the attribute keeps its plaintext.
    assert people[0].full_name == NAME
    for person, name in zip(people, [NAME, "Петрова Мария"], strict=True):
        raw = raw_column(Person, "full_name", person.pk)
        assert raw.startswith("ck1.")
        assert name not in raw and name.split()[0].lower() not in raw.lower()
        assert Person.objects.get(pk=person.pk).full_name == name
    raw_birth = raw_column(Person, "birth_date", people[0].pk)
    assert raw_birth.startswith("ck1.") and "1990" not in raw_birth
    assert "9123456789" not in raw_column(Person, "phone", people[0].pk)
    assert people[0].name_birth_index and people[0].phone_index


def test_save_encrypts_and_keeps_the_plaintext_in_memory(db):
    person = Person.objects.create(full_name=NAME, postal_address="Тмутаракань, 17")
    assert person.full_name == NAME
    raw = raw_column(Person, "postal_address", person.pk)
    assert raw.startswith(f"ck1.{person.key_id}.") and "Тмутаракань" not in raw
    assert DataKey.objects.filter(pk=person.key_id).exists()


def test_a_wrong_master_key_fails_loudly_instead_of_reading_as_erased(db, settings):
    """A master key with the right id but the wrong value (a mistyped secret, a changed
    SECRET_KEY behind ``s0``) must not make every person read as erased: a form saved
    from such a read would overwrite the real data with empty values."""
    entry = crypto.master_key_new()
    master_id = entry.partition(":")[0]
    settings.CASEDESK_MASTER_KEYS = entry
    person = Person.objects.create(full_name=NAME)
    token = crypto.seal_text(person.key_id, NAME, AAD)
    blob = crypto.seal_bytes(person.key_id, b"file", "f")
    crypto.cache_clear()
    settings.CASEDESK_MASTER_KEYS = f"{master_id}:{b64(os.urandom(32))}"
    with pytest.raises(ImproperlyConfigured):
        crypto.open_text(token, AAD)
    with pytest.raises(ImproperlyConfigured):
        crypto.open_bytes(blob, "f")
    with pytest.raises(ImproperlyConfigured):
        Person.objects.get(pk=person.pk)
    # Control: with the right master key back, everything opens.
    settings.CASEDESK_MASTER_KEYS = entry
    assert Person.objects.get(pk=person.pk).full_name == NAME
