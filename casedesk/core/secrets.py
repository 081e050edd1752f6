"""Access codes for applicants, and sealing short secrets for a later step.

Access codes are random, shown to the applicant once and stored only as a keyed hash
(HMAC-SHA256 with a key derived from SECRET_KEY), so a database copy does not reveal them
and checking one costs microseconds. A secret that must reach a background task (the
code in the acknowledgement email) or be repeated for an idempotent retry is sealed with
Fernet (AES-128-CBC + HMAC) under another key derived from SECRET_KEY.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings

# No 0/O, 1/I/L, 5/S, 2/Z, 8/B: easy to read aloud and to type on a phone.
ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
GROUPS, GROUP = 3, 4  # 12 characters: 25**12 ≈ 5.9e16 possibilities


def _derive(purpose: str) -> bytes:
    return hashlib.sha256(f"casedesk:{purpose}:{settings.SECRET_KEY}".encode()).digest()


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


def access_code_hash(code: str) -> str:
    return hmac.new(_derive("access-code"), access_code_normalise(code).encode(),
                    hashlib.sha256).hexdigest()


def access_code_matches(code: str, stored_hash: str) -> bool:
    return bool(stored_hash) and hmac.compare_digest(access_code_hash(code), stored_hash)


def _fernet() -> Fernet:
    return Fernet(base64.urlsafe_b64encode(_derive("seal")))


def seal(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode()


def unseal(token: str, *, max_age: int | None = None) -> str | None:
    try:
        return _fernet().decrypt(token.encode(), ttl=max_age).decode()
    except (InvalidToken, ValueError):
        return None


def key_hash(value: str) -> str:
    """A keyed hash for looking things up without storing them (idempotency keys)."""
    return hmac.new(_derive("lookup"), value.encode(), hashlib.sha256).hexdigest()
