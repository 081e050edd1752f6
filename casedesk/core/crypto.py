"""Encryption at rest: per-person data keys, wrapped by a master key, kept apart.

Every person has a random 256-bit *data key*. Their personal data, and the free texts and
files of the cases about them, are encrypted with it (AES-256-GCM, from ``cryptography``).
The data key itself is stored only *wrapped* (AES-GCM again) under a *master key* that
comes from the environment or a file and never reaches a database.

Wrapped data keys live in their own database, the key store (the ``keys`` database alias,
model :class:`casedesk.core.models.DataKey`), not beside the data. Destroying a person's
data key (:func:`keys_destroy`) makes every copy of their data unreadable at once: the
live database, replicas, and backups of the data database, because those backups never
held the key. Backups of the key store must be kept no longer than the erasure delay
promised to people (docs/security.md).

Stored forms:

- text: ``ck1.<key id>.<base64(nonce ‖ ciphertext ‖ tag)>``;
- bytes (files): ``CK1`` ‖ key id (16 bytes) ‖ nonce (12) ‖ ciphertext ‖ tag.

The associated data binds a ciphertext to the column (or file kind) it was written for,
so ciphertexts cannot be swapped between fields unnoticed.

Unwrapped data keys are cached in the process for ``CASEDESK_KEY_CACHE_SECONDS`` (60 by
default): a key destroyed by another process stays usable there for at most that long.

Blind indexes (:func:`blind_index`) are keyed hashes (HMAC-SHA256 under a separate key,
``CASEDESK_BLIND_INDEX_KEY``) of normalised identifiers, so exact lookups work without
decrypting anything.

Sub-keys are derived with HKDF-SHA256 (:func:`subkey`), one ``info`` per purpose. Two
older derivations (a SHA-256 of a label and the secret) are kept, by name, for data made
with them: the development master key ``s0`` and the blind-index key of a configured
key not written ``v2:…`` or of none at all (docs/security.md, "Keys").

A destroyed data key is recorded (:class:`casedesk.core.models.DestroyedKey`): reading
data sealed with it raises :class:`KeyMissing` (fields read it as empty). A key that is
neither in the key store nor recorded as destroyed raises :class:`KeyNotInStore`: the
key store is older than the data (a restore in the wrong order) or damaged, and the data
must not be read as if it had been erased.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import os
import threading
import time
import unicodedata
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.db import transaction

logger = logging.getLogger(__name__)

TEXT_PREFIX = "ck1"
BYTES_PREFIX = b"CK1"
NONCE = 12
KEY_BYTES = 32
_WRAP_AAD = b"casedesk:data-key"
_CACHE_MAX = 50_000


class KeyMissing(Exception):
    """The data key was destroyed (erased), or the ciphertext is not ours."""


class KeyNotInStore(Exception):  # noqa: N818 - reads as what happened
    """A data key the data refers to is neither in the key store nor recorded as
    destroyed: the key store is older than the data (restored in the wrong order) or
    damaged. Not a :class:`KeyMissing`: nothing may read this as erased data."""

    def __init__(self, key_id: str, where: str = "") -> None:
        self.key_id = key_id
        self.where = where
        self._owners: str | None = None
        super().__init__(key_id)

    @property
    def owners(self) -> str:
        """Who the key belongs to: a person's id and their case numbers (no personal
        data), as :func:`key_owners` finds them (looked up once)."""
        if self._owners is None:
            self._owners = key_owners([self.key_id]).get(self.key_id, "")
        return self._owners

    def __str__(self) -> str:
        owner = self.owners or "an unknown record"
        place = f" (read from {self.where})" if self.where else ""
        return (f"The data key {self.key_id} of {owner}{place} is missing from the key "
                "store: the key store backup is older than the data, or damaged. Restore "
                "a key store backup made after the data backup and run manage.py "
                "backup_verify (docs/deployment.md).")


# ---------------------------------------------------------------------------- sub-keys


@lru_cache(maxsize=64)
def _hkdf(secret: bytes, info: str, length: int) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None,
                info=f"casedesk/{info}".encode()).derive(secret)


def subkey(secret: str | bytes, info: str, length: int = KEY_BYTES) -> bytes:
    """A key for one purpose (``info``, e.g. ``"access-code/v2"``), derived from
    ``secret`` with HKDF-SHA256: keys for different purposes say nothing of each other
    or of ``secret``."""
    raw = secret.encode() if isinstance(secret, str) else bytes(secret)
    return _hkdf(raw, info, length)


def legacy_digest(label: str, secret: str) -> bytes:
    """The derivation before HKDF, ``SHA-256("casedesk:<label>:<secret>")``: only to read
    (or check) what was made with it."""
    return hashlib.sha256(f"casedesk:{label}:{secret}".encode()).digest()


def derived_from_secret_key(candidate: bytes | str) -> bool:
    """Whether ``candidate`` (a key, raw or as configured) is SECRET_KEY itself or one of
    the keys this code derives from it (system checks: such a key adds no protection)."""
    secret = settings.SECRET_KEY or ""
    raw = candidate.encode() if isinstance(candidate, str) else bytes(candidate)
    if not secret or not raw:
        return False
    forms = {secret.encode()}
    for label in ("master", "blind", "access-code", "seal", "lookup"):
        digest = legacy_digest(label, secret)
        forms |= {digest, digest.hex().encode(), base64.b64encode(digest)}
    for info in ("master", "blind-index", "access-code/v2", "seal/v2", "lookup/v2"):
        digest = subkey(secret, info)
        forms |= {digest, digest.hex().encode(), base64.b64encode(digest)}
    text = raw.strip()
    return text in forms or (text.startswith(b"v2:") and text[3:] in forms)


# ---------------------------------------------------------------------------- master keys


@dataclass(frozen=True)
class MasterKeys:
    current: str
    keys: dict[str, bytes]


def _parse_master_keys(spec: str) -> MasterKeys:
    """``id:base64key[,id:base64key…]`` (or one per line); the first is current."""
    keys: dict[str, bytes] = {}
    order: list[str] = []
    for part in spec.replace("\n", ",").split(","):
        part = part.strip()
        if not part or part.startswith("#"):
            continue
        key_id, sep, encoded = part.partition(":")
        key_id = key_id.strip()
        if not sep or not key_id.isalnum() or len(key_id) > 32:
            raise ImproperlyConfigured(
                "CASEDESK_MASTER_KEYS: each entry must be 'id:base64key' with a short "
                "alphanumeric id")
        try:
            raw = base64.b64decode(encoded.strip(), validate=True)
        except (binascii.Error, ValueError):
            raise ImproperlyConfigured(
                f"CASEDESK_MASTER_KEYS: the key {key_id!r} is not valid base64") from None
        if len(raw) != KEY_BYTES:
            raise ImproperlyConfigured(
                f"CASEDESK_MASTER_KEYS: the key {key_id!r} must be {KEY_BYTES} bytes")
        if key_id in keys:
            raise ImproperlyConfigured(f"CASEDESK_MASTER_KEYS: the id {key_id!r} is repeated")
        keys[key_id] = raw
        order.append(key_id)
    if not order:
        raise ImproperlyConfigured("CASEDESK_MASTER_KEYS holds no key")
    return MasterKeys(current=order[0], keys=keys)


_master_lock = threading.Lock()
_master: tuple[str, MasterKeys] | None = None


def master_keys() -> MasterKeys:
    """The configured master keys: ``settings.CASEDESK_MASTER_KEYS`` (from the environment
    variable of that name, or the file named by ``CASEDESK_MASTER_KEY_FILE``). When none
    is set, the key ``s0`` derived from SECRET_KEY stands in: then SECRET_KEY must not
    change until ``CASEDESK_MASTER_KEYS`` is set (keeping ``s0`` listed) and
    ``manage.py keys_rotate`` has re-wrapped every data key (docs/security.md)."""
    global _master
    spec = settings.CASEDESK_MASTER_KEYS
    cached = _master
    if cached is not None and cached[0] == spec:
        return cached[1]
    with _master_lock:
        parsed = _parse_master_keys(spec) if spec else MasterKeys(current="s0", keys={})
        if "s0" not in parsed.keys:
            # The development key, derived the old way (kept so that what it wrapped
            # stays readable); production refuses to run with it current (checks.py).
            parsed.keys["s0"] = legacy_digest("master", settings.SECRET_KEY)
        _master = (spec, parsed)
        return parsed


def master_key_new() -> str:
    """A fresh master key in the ``CASEDESK_MASTER_KEYS`` entry form, id from the date."""
    return f"{time.strftime('m%Y%m%d')}:{base64.b64encode(os.urandom(KEY_BYTES)).decode()}"


@lru_cache(maxsize=16)
def _master_aead(key: bytes) -> AESGCM:
    """The AES-GCM object of a master key, made once (keys are wrapped in bulk)."""
    return AESGCM(key)


def wrap(data_key: bytes) -> tuple[str, bytes]:
    masters = master_keys()
    nonce = os.urandom(NONCE)
    sealed = _master_aead(masters.keys[masters.current]).encrypt(nonce, data_key, _WRAP_AAD)
    return masters.current, nonce + sealed


def unwrap(master_id: str, wrapped: bytes) -> bytes:
    masters = master_keys()
    key = masters.keys.get(master_id)
    if key is None:
        raise ImproperlyConfigured(
            f"A data key is wrapped by the master key {master_id!r}, which is not configured")
    wrapped = bytes(wrapped)
    try:
        return _master_aead(key).decrypt(wrapped[:NONCE], wrapped[NONCE:], _WRAP_AAD)
    except InvalidTag:
        # A wrong master key (or SECRET_KEY behind "s0") must fail loudly, not read as
        # erased data that a later save() would overwrite with empty values.
        raise ImproperlyConfigured(
            f"A data key does not unwrap with the master key {master_id!r}: that master "
            "key is wrong or the key store row is damaged") from None


# ---------------------------------------------------------------------------- data keys


class _Cache:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: OrderedDict[str, tuple[float, AESGCM]] = OrderedDict()

    def get(self, key_id: str) -> AESGCM | None:
        with self._lock:
            item = self._items.get(key_id)
            if item is None:
                return None
            if item[0] < time.monotonic():
                del self._items[key_id]
                return None
            self._items.move_to_end(key_id)
            return item[1]

    def put(self, key_id: str, aead: AESGCM) -> None:
        ttl = settings.CASEDESK_KEY_CACHE_SECONDS
        with self._lock:
            self._items[key_id] = (time.monotonic() + ttl, aead)
            self._items.move_to_end(key_id)
            while len(self._items) > _CACHE_MAX:
                self._items.popitem(last=False)

    def drop(self, key_ids) -> None:
        with self._lock:
            for key_id in key_ids:
                self._items.pop(key_id, None)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


_cache = _Cache()


def _datakey_model():
    from .models import DataKey

    return DataKey


def _destroyed_model():
    from .models import DestroyedKey

    return DestroyedKey


def keys_make(count: int) -> list[tuple[str, str, bytes]]:
    """``count`` new data keys, not stored yet: (id, master key id, wrapped key) each,
    the unwrapped keys cached in this process so that sealing with them needs no query.
    The caller stores the rows in the key store before anything sealed with them is
    committed (:func:`keys_new` does, with the ORM; the bulk import with COPY)."""
    rows = []
    # The random bytes of all the keys and their ids in one read (as many bytes as one
    # read per key would give; ids are version-4 UUIDs, as uuid4() makes them).
    random = os.urandom(count * (KEY_BYTES + 16))
    for i in range(0, len(random), KEY_BYTES + 16):
        raw = random[i:i + KEY_BYTES]
        master_id, wrapped = wrap(raw)
        key_id = uuid.UUID(bytes=random[i + KEY_BYTES:i + KEY_BYTES + 16], version=4).hex
        rows.append((key_id, master_id, wrapped))
        _cache.put(key_id, AESGCM(raw))
    return rows


def keys_new(count: int = 1) -> list[str]:
    """``count`` new data keys, stored wrapped in the key store; their ids. Written by
    COPY on PostgreSQL (core.bulk.create): a batch of web appeals makes two keys an
    appeal, and ``bulk_create``'s statement building cost the batch writer ~4% of its
    time."""
    from . import bulk  # bulk seals with this module: imported when needed

    DataKey = _datakey_model()
    rows = keys_make(count)
    bulk.create([DataKey(id=key_id, master_key=master_id, wrapped=wrapped)
                 for key_id, master_id, wrapped in rows])
    return [row[0] for row in rows]


def key_new() -> str:
    return keys_new(1)[0]


def keys_prefetch(key_ids) -> None:
    """Unwrap the keys among ``key_ids`` that are not cached, in one query."""
    missing = {k for k in key_ids if k and _cache.get(k) is None}
    for key_id, master_id, wrapped in _keys_read(sorted(missing)):
        _cache.put(key_id, AESGCM(unwrap(master_id, wrapped)))


def _keys_read(key_ids: list[str]) -> list[tuple[str, str, bytes]]:
    """(id, master key id, wrapped key) of the stored keys among ``key_ids``: one plain
    statement on the key store. Not the ORM's: a key missing from the cache is read
    while a row is being decrypted (a case page, the duplicate check), and compiling a
    query for each cost more than the read itself."""
    if not key_ids:
        return []
    from django.db import connections, router

    DataKey = _datakey_model()
    connection = connections[router.db_for_read(DataKey)]
    quote, meta = connection.ops.quote_name, DataKey._meta
    columns = ", ".join(quote(meta.get_field(name).column)
                        for name in ("id", "master_key", "wrapped"))
    marks = ", ".join(["%s"] * len(key_ids))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns} FROM {quote(meta.db_table)} "  # noqa: S608
                       f"WHERE {quote(meta.pk.column)} IN ({marks})", key_ids)
        return cursor.fetchall()


def _aead(key_id: str) -> AESGCM:
    aead = _cache.get(key_id)
    if aead is not None:
        return aead
    rows = _keys_read([key_id])
    if not rows:
        if _destroyed_model().objects.filter(pk=key_id).exists():
            raise KeyMissing(key_id)
        raise KeyNotInStore(key_id)
    _id, master_id, wrapped = rows[0]
    aead = AESGCM(unwrap(master_id, wrapped))
    _cache.put(key_id, aead)
    return aead


def keys_destroy(key_ids) -> int:
    """Destroy data keys: everything encrypted with them becomes unreadable, in every
    copy. Returns how many keys were destroyed."""
    key_ids = [k for k in set(key_ids) if k]
    _cache.drop(key_ids)
    if not key_ids:
        return 0
    # The ids are recorded (nothing else: no key, no owner), in the same key-store
    # transaction as the deletion, so that reading what they sealed is known to be
    # erased data, not a key store restored from before the data (KeyNotInStore).
    from .routers import KEYSTORE

    with transaction.atomic(using=KEYSTORE):
        _destroyed_model().objects.bulk_create(
            [_destroyed_model()(id=k) for k in key_ids], ignore_conflicts=True)
        deleted, _ = _datakey_model().objects.filter(pk__in=key_ids).delete()
    return deleted


# Who a data key belongs to, for error messages and backup_verify: functions that take
# key ids and return {key id: "person #12 (cases KSM-2026-000097)"}, registered by the
# apps that hold the owners (core cannot import them). Ids and case numbers only.
_owner_finders: list = []


def key_owners_register(finder) -> None:
    if finder not in _owner_finders:
        _owner_finders.append(finder)


def key_owners(key_ids) -> dict[str, str]:
    found: dict[str, str] = {}
    key_ids = [k for k in key_ids if k]
    for finder in _owner_finders:
        try:
            found.update(finder(key_ids))
        except Exception:  # naming the owner must not hide the error being reported
            logger.exception("could not name the owners of data keys")
    return found


def key_exists(key_id: str) -> bool:
    return bool(key_id) and _datakey_model().objects.filter(pk=key_id).exists()


def cache_clear() -> None:
    """Forget every unwrapped key in this process (tests; after a master-key change)."""
    _cache.clear()


# ---------------------------------------------------------------------------- sealing


def seal_text(key_id: str, plaintext: str, aad: str) -> str:
    nonce = os.urandom(NONCE)
    sealed = _aead(key_id).encrypt(nonce, plaintext.encode(), aad.encode())
    return f"{TEXT_PREFIX}.{key_id}.{base64.b64encode(nonce + sealed).decode()}"


def is_sealed_text(value) -> bool:
    return isinstance(value, str) and value.startswith(TEXT_PREFIX + ".")


def text_key_id(token: str) -> str | None:
    parts = token.split(".", 2) if is_sealed_text(token) else []
    return parts[1] if len(parts) == 3 else None


def open_text(token: str, aad: str) -> str:
    """The plaintext of ``token``; :class:`KeyMissing` if its key was destroyed."""
    parts = token.split(".", 2)
    if len(parts) != 3 or parts[0] != TEXT_PREFIX:
        raise KeyMissing("not a casedesk ciphertext")
    try:
        blob = base64.b64decode(parts[2])
        return _aead(parts[1]).decrypt(blob[:NONCE], blob[NONCE:], aad.encode()).decode()
    except (InvalidTag, binascii.Error, ValueError):
        raise KeyMissing("the ciphertext does not open with its key") from None


def seal_bytes(key_id: str, data: bytes, aad: str) -> bytes:
    nonce = os.urandom(NONCE)
    sealed = _aead(key_id).encrypt(nonce, data, aad.encode())
    return BYTES_PREFIX + uuid.UUID(hex=key_id).bytes + nonce + sealed


def open_bytes(blob: bytes, aad: str) -> bytes:
    """The plaintext of ``blob``; :class:`KeyMissing` if its key was destroyed."""
    head = len(BYTES_PREFIX)
    if not blob.startswith(BYTES_PREFIX) or len(blob) < head + 16 + NONCE + 16:
        raise KeyMissing("not a casedesk ciphertext")
    key_id = uuid.UUID(bytes=blob[head:head + 16]).hex
    body = blob[head + 16:]
    try:
        return _aead(key_id).decrypt(body[:NONCE], body[NONCE:], aad.encode())
    except InvalidTag:
        raise KeyMissing("the ciphertext does not open with its key") from None


# ---------------------------------------------------------------------------- blind indexes


def blind_key_parse(configured: str) -> tuple[str, bytes]:
    """The version and root of the blind-index key as configured: ``v2:<base64 of 32
    bytes>`` is used through HKDF, one key per purpose; any other value (the form before
    v2) or none (SECRET_KEY stands in, development only) the old way, so that indexes made
    with it still match. Moving to v2 needs ``manage.py blind_index_rebuild``."""
    configured = (configured or "").strip()
    if configured.startswith("v2:"):
        try:
            raw = base64.b64decode(configured[3:], validate=True)
        except (binascii.Error, ValueError):
            raw = b""
        if len(raw) != KEY_BYTES:
            raise ImproperlyConfigured(
                f"CASEDESK_BLIND_INDEX_KEY: after 'v2:' must come {KEY_BYTES} bytes in base64")
        return "v2", raw
    return "v1", legacy_digest("blind", configured or settings.SECRET_KEY)


def blind_key_new() -> str:
    """A fresh blind-index key in the v2 form."""
    return "v2:" + base64.b64encode(os.urandom(KEY_BYTES)).decode()


class _BlindKey:
    """The blind-index key and HMAC-SHA256 objects keyed with it (one per purpose in v2),
    derived once, not on every hash (each hash copies the keyed object); forgotten when
    the settings change (``setting_changed``: override_settings, pytest-django's
    ``settings``)."""

    def __init__(self) -> None:
        self.cached: tuple[str, bytes, dict[str, hmac.HMAC]] | None = None

    def get(self) -> tuple[str, bytes, dict[str, hmac.HMAC]]:
        cached = self.cached
        if cached is None:
            version, root = blind_key_parse(settings.CASEDESK_BLIND_INDEX_KEY)
            cached = self.cached = (version, root, {})
        return cached

    def mac(self, purpose: str) -> hmac.HMAC:
        version, root, macs = self.get()
        keyed = macs.get(purpose)
        if keyed is None:
            key = root if version == "v1" else subkey(root, f"blind-index/{purpose}")
            keyed = macs[purpose] = hmac.new(key, digestmod=hashlib.sha256)
        return keyed

    def forget(self, *, setting: str, **kwargs) -> None:
        if setting in ("SECRET_KEY", "CASEDESK_BLIND_INDEX_KEY"):
            self.cached = None


_blind = _BlindKey()
setting_changed.connect(_blind.forget, dispatch_uid="casedesk.core.crypto._blind")


def _blind_key() -> bytes:
    """What identifies the blind-index key now (version and root), for caches."""
    version, root, _macs = _blind.get()
    return version.encode() + root


def normalise(value: str) -> str:
    """Case-folded, NFKC, ё → е, inner whitespace collapsed: the form that is hashed."""
    value = unicodedata.normalize("NFKC", value or "").casefold().replace("ё", "е")
    return " ".join(value.split())


def blind_index(purpose: str, *parts) -> str:
    """A keyed hash (hex, 128 bits) of the normalised parts; "" if any part is empty."""
    texts = [normalise(str(p)) if p is not None else "" for p in parts]
    if not texts or not all(texts):
        return ""
    keyed = _blind.mac(purpose).copy()
    keyed.update("\x1f".join([purpose, *texts]).encode())
    return keyed.hexdigest()[:32]
