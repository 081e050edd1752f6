"""System checks of the keys (ASVS V11.2, V13.3): in production every secret that guards
personal data is its own, not SECRET_KEY or something derived from it.

Without ``CASEDESK_MASTER_KEYS`` (or ``CASEDESK_MASTER_KEY_FILE``) the master key would be
derived from SECRET_KEY, and without ``CASEDESK_BLIND_INDEX_KEY`` the blind-index key too:
then one leaked setting opens every data key and confirms every guessed name. These are
errors, so ``runserver``, ``migrate`` and ``check --deploy`` stop (docs/deployment.md).
"""

from __future__ import annotations

import contextlib

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from . import crypto

HINT_MASTER = ("Generate one with: python -c \"from casedesk.core.crypto import "
               "master_key_new; print(master_key_new())\", set CASEDESK_MASTER_KEYS (or "
               "CASEDESK_MASTER_KEY_FILE), keep 's0' data readable by running manage.py "
               "keys_rotate (docs/deployment.md).")
HINT_BLIND = ("Generate one with: python -c \"from casedesk.core.crypto import "
              "blind_key_new; print(blind_key_new())\", set CASEDESK_BLIND_INDEX_KEY, then "
              "run manage.py blind_index_rebuild (docs/deployment.md).")


@checks.register(checks.Tags.security, deploy=False)
def keys_are_separate(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    if not settings.PRODUCTION:
        return []
    errors: list[checks.CheckMessage] = []
    spec = settings.CASEDESK_MASTER_KEYS
    if not spec:
        errors.append(checks.Error(
            "No master key is set (CASEDESK_MASTER_KEYS or CASEDESK_MASTER_KEY_FILE): the "
            "data keys would be wrapped by a key derived from DJANGO_SECRET_KEY.",
            hint=HINT_MASTER, id="casedesk.E101"))
    else:
        try:
            masters = crypto.master_keys()
        except ImproperlyConfigured as exc:
            errors.append(checks.Error(str(exc), hint=HINT_MASTER, id="casedesk.E102"))
        else:
            current = masters.keys[masters.current]
            if masters.current == "s0" or crypto.derived_from_secret_key(current):
                errors.append(checks.Error(
                    f"The current master key {masters.current!r} is DJANGO_SECRET_KEY or "
                    "derived from it.", hint=HINT_MASTER, id="casedesk.E103"))
    blind = settings.CASEDESK_BLIND_INDEX_KEY
    if not blind:
        errors.append(checks.Error(
            "No blind-index key is set (CASEDESK_BLIND_INDEX_KEY): it would be derived "
            "from DJANGO_SECRET_KEY.", hint=HINT_BLIND, id="casedesk.E104"))
    else:
        try:
            version, root = crypto.blind_key_parse(blind)
        except ImproperlyConfigured as exc:
            errors.append(checks.Error(str(exc), hint=HINT_BLIND, id="casedesk.E105"))
        else:
            masters_raw: set[bytes] = set()
            with contextlib.suppress(ImproperlyConfigured):
                masters_raw = set(crypto.master_keys().keys.values())
            if (blind == settings.SECRET_KEY or crypto.derived_from_secret_key(blind)
                    or (version == "v2" and (crypto.derived_from_secret_key(root)
                                             or root in masters_raw))):
                errors.append(checks.Error(
                    "CASEDESK_BLIND_INDEX_KEY is DJANGO_SECRET_KEY, a master key, or "
                    "derived from DJANGO_SECRET_KEY.", hint=HINT_BLIND, id="casedesk.E106"))
            elif version == "v1":
                errors.append(checks.Warning(
                    "CASEDESK_BLIND_INDEX_KEY is in the form before 'v2:': the index keys "
                    "are derived the old way, not with HKDF per purpose.",
                    hint=HINT_BLIND, id="casedesk.W107"))
    return errors
