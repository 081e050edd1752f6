"""The key of the audit chain: the one place that knows where it comes from.

Entries written since hash version 2 are chained with HMAC-SHA256 under this key, so a
person who can change rows in the database but does not hold the key cannot recompute
the hashes of a rewritten entry and of everything after it. The key lives outside the
database: ``CASEDESK_AUDIT_KEY`` (any string of at least 32 characters, e.g.
``python3 -c "import secrets; print(secrets.token_urlsafe(32))"``) or, when that is not
set, a key derived with HKDF-SHA256 from ``DJANGO_SECRET_KEY`` (info
``casedesk audit chain``).

Changing the key (or ``DJANGO_SECRET_KEY`` while no audit key is set) makes every keyed
entry fail ``audit_verify``: keep it, with the other secrets, for as long as the log.
"""

from __future__ import annotations

import functools

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core import checks

INFO = b"casedesk audit chain"
MIN_KEY_LENGTH = 32


@functools.lru_cache(maxsize=4)
def _derive(material: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=INFO).derive(
        material.encode())


def chain_key() -> bytes:
    """The HMAC key of the audit chain (32 bytes)."""
    configured = settings.CASEDESK_AUDIT_KEY
    if configured:
        return configured.encode()
    return _derive(settings.SECRET_KEY)


@checks.register(checks.Tags.security)
def check_audit_key(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """A configured audit key must be long enough to be a key."""
    configured = settings.CASEDESK_AUDIT_KEY
    if configured and len(configured) < MIN_KEY_LENGTH:
        return [checks.Error(
            f"CASEDESK_AUDIT_KEY is shorter than {MIN_KEY_LENGTH} characters.",
            hint='python3 -c "import secrets; print(secrets.token_urlsafe(32))"',
            id="audit.E001")]
    return []
