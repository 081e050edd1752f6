"""What the bulk import relies on in casedesk.core, made faster by caching: the same values
as computed from scratch, and new ones when the keys in the settings change."""

from __future__ import annotations

import hashlib
import hmac
import uuid

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext

from casedesk.core import crypto, tokens
from casedesk.core.models import DataKey

VALUES = [("email", ("maria@example.org",)), ("name+birth", ("Сидоров  Олег", "1998-05-01")),
          ("phone", ("9001112233",)), ("search-word", ("госпитал",)), ("x", ("ЁЖ", "ﬁ"))]


def reference_blind_index(secret: str, purpose: str, *parts: str) -> str:
    """blind_index as it was computed before its keyed HMAC was cached."""
    key = hashlib.sha256(f"casedesk:blind:{secret}".encode()).digest()
    message = "\x1f".join([purpose, *(crypto.normalise(p) for p in parts)]).encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:32]


def test_blind_indexes_are_the_keyed_hashes_they_were(settings):
    for purpose, parts in VALUES:
        assert crypto.blind_index(purpose, *parts) == reference_blind_index(
            settings.SECRET_KEY, purpose, *parts)
    assert crypto.blind_index("email", "") == crypto.blind_index("email", None) == ""


def test_a_new_blind_index_key_is_used_at_once(settings):
    before = {purpose: crypto.blind_index(purpose, *parts) for purpose, parts in VALUES}
    word = tokens.token("госпитал")
    settings.CASEDESK_BLIND_INDEX_KEY = "another"
    for purpose, parts in VALUES:
        value = crypto.blind_index(purpose, *parts)
        assert value == reference_blind_index("another", purpose, *parts) != before[purpose]
    assert tokens.token("госпитал") == \
        "t" + reference_blind_index("another", "search-word", "госпитал")[:11] != word
    settings.CASEDESK_BLIND_INDEX_KEY = ""
    settings.SECRET_KEY = "a different secret key for the blind indexes of this test"
    assert crypto.blind_index("email", "maria@example.org") == reference_blind_index(
        settings.SECRET_KEY, "email", "maria@example.org")


def test_search_tokens_are_the_hashed_stems_they_were():
    text = "Сына записали в СОЧ, хотя он лежит в госпитале. Hospitals, hospital!"
    expected = " ".join("t" + crypto.blind_index("search-word", stem)[:11]
                        for stem in tokens.words(text))
    assert tokens.tokens(text) == tokens.tokens(text) == expected
    assert tokens.query_tokens("госпиталь") == [tokens.token(tokens.words("госпиталь")[0])]


@pytest.mark.django_db(databases="__all__")
def test_keys_made_in_bulk_seal_without_a_query_and_are_stored_by_their_caller():
    made = crypto.keys_make(3)
    ids = [key_id for key_id, _master, _wrapped in made]
    assert len(set(ids)) == 3
    assert all(uuid.UUID(hex=key_id).version == 4 and len(key_id) == 32 for key_id in ids)
    with CaptureQueriesContext(connections["keys"]) as queries:
        sealed = crypto.seal_text(ids[0], "Сидоров", "people.full_name")
    assert len(queries) == 0  # the new key is in this process's cache
    assert not DataKey.objects.filter(pk__in=ids).exists()
    DataKey.objects.bulk_create([DataKey(id=k, master_key=m, wrapped=w) for k, m, w in made])
    crypto.cache_clear()
    assert crypto.open_text(sealed, "people.full_name") == "Сидоров"
    masters = crypto.master_keys()
    assert {m for _k, m, _w in made} == {masters.current}
    assert len(crypto.unwrap(made[1][1], made[1][2])) == crypto.KEY_BYTES


@pytest.mark.django_db(databases="__all__")
def test_keys_new_still_stores_its_keys():
    ids = crypto.keys_new(2)
    crypto.cache_clear()
    assert set(DataKey.objects.filter(pk__in=ids).values_list("pk", flat=True)) == set(ids)
    assert crypto.open_text(crypto.seal_text(ids[1], "x", "a"), "a") == "x"
