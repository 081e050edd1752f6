"""Access codes for applicants, and sealing short secrets for a later step.

Access codes are random, shown to the applicant once and stored only as a keyed hash
(HMAC-SHA256 with a key derived from SECRET_KEY), so a database copy does not reveal them
and checking one costs microseconds. A secret that must reach a background task (the
code in the acknowledgement email) or be repeated for an idempotent retry is sealed with
Fernet (AES-128-CBC + HMAC) under another key derived from SECRET_KEY.

The keys are derived with HKDF-SHA256, one ``info`` per purpose (``access-code/v2``,
``seal/v2``). What was made before with the older derivation (a SHA-256 of a label and
SECRET_KEY) still checks and opens: a stored access-code hash is compared under both
keys, a sealed code is opened with either (docs/security.md, "Keys"). The idempotency
lookups (:func:`key_hash`) keep the older derivation: their stored hashes are compared
for as long as the rows live, and they guard no secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

from . import crypto

# No 0/O, 1/I/L, 5/S, 2/Z, 8/B: easy to read aloud and to type on a phone.
ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
GROUPS, GROUP = 3, 4  # 12 characters: 25**12 ≈ 5.9e16 possibilities


def _derive(purpose: str) -> bytes:
    """The key for ``purpose``: HKDF-SHA256 of SECRET_KEY."""
    return crypto.subkey(settings.SECRET_KEY, f"{purpose}/v2")


def _legacy(purpose: str) -> bytes:
    """The key ``purpose`` had before HKDF, to check and open what was made with it."""
    return crypto.legacy_digest(purpose, settings.SECRET_KEY)


def access_code_new() -> str:
    # One uniform draw over every code (one read of the system's randomness, not twelve).
    number = secrets.randbelow(len(ALPHABET) ** (GROUPS * GROUP))
    chars = []
    for _ in range(GROUPS * GROUP):
        number, digit = divmod(number, len(ALPHABET))
        chars.append(ALPHABET[digit])
    raw = "".join(chars)
    return "-".join(raw[i:i + GROUP] for i in range(0, len(raw), GROUP))


def access_code_normalise(code: str) -> str:
    """Upper-case, without spaces, dashes or other punctuation."""
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())


def _code_hash(key: bytes, code: str) -> str:
    return hmac.new(key, access_code_normalise(code).encode(), hashlib.sha256).hexdigest()


def access_code_hash(code: str) -> str:
    return _code_hash(_derive("access-code"), code)


def access_code_matches(code: str, stored_hash: str) -> bool:
    """Whether ``code`` is the code of ``stored_hash``, made now or with the derivation
    before HKDF (both are computed and compared every time: the same work either way)."""
    if not stored_hash:
        return False
    current = hmac.compare_digest(access_code_hash(code), stored_hash)
    legacy = hmac.compare_digest(_code_hash(_legacy("access-code"), code), stored_hash)
    return current | legacy


def _fernet() -> MultiFernet:
    # Seals with the first key; opens with either.
    return MultiFernet([Fernet(base64.urlsafe_b64encode(_derive("seal"))),
                        Fernet(base64.urlsafe_b64encode(_legacy("seal")))])


def seal(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode()


def unseal(token: str, *, max_age: int | None = None) -> str | None:
    try:
        return _fernet().decrypt(token.encode(), ttl=max_age).decode()
    except (InvalidToken, ValueError):
        return None


def key_hash(value: str) -> str:
    """A keyed hash for looking things up without storing them (idempotency keys)."""
    return hmac.new(_legacy("lookup"), value.encode(), hashlib.sha256).hexdigest()
