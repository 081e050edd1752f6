"""Issue 15, finding 9: one secret must not open everything.

In production the server refuses to start (a system check error) unless the master keys
and the blind-index key are set, each its own and not DJANGO_SECRET_KEY or derived from
it. Sub-keys are derived with HKDF-SHA256, one ``info`` per purpose; what was made with
the older derivation (access-code hashes, sealed codes, blind indexes of a key not in
the ``v2:`` form, data keys wrapped by ``s0``) still checks and opens."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import subprocess
import sys

import pytest
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

from casedesk.core import crypto, secrets

SECRET = "x" * 20 + "-prod-" + "y" * 40


def _check(**extra: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DJANGO_", "CASEDESK_", "DATABASE_URL"))}
    env.update(DJANGO_ENV="production", DJANGO_SECRET_KEY=SECRET,
               DJANGO_ALLOWED_HOSTS="casedesk.example.org", **extra)
    return subprocess.run(  # noqa: S603 - our own manage.py
        [sys.executable, "manage.py", "check", "--deploy"],
        capture_output=True, text=True, env=env, cwd=settings.BASE_DIR, timeout=120)


def _legacy(label: str, secret: str = SECRET) -> bytes:
    return hashlib.sha256(f"casedesk:{label}:{secret}".encode()).digest()


def _hkdf(secret: bytes, info: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                info=info.encode()).derive(secret)


def test_production_refuses_to_start_with_only_the_secret_key():
    result = _check()
    assert result.returncode != 0
    assert "casedesk.E101" in result.stderr and "casedesk.E104" in result.stderr


def test_production_refuses_keys_that_are_the_secret_key_or_derived_from_it():
    derived = base64.b64encode(_legacy("master")).decode()
    result = _check(CASEDESK_MASTER_KEYS=f"m1:{derived}",
                    CASEDESK_BLIND_INDEX_KEY=SECRET)
    assert result.returncode != 0
    assert "casedesk.E103" in result.stderr and "casedesk.E106" in result.stderr
    hkdf = base64.b64encode(_hkdf(SECRET.encode(), "casedesk/blind-index")).decode()
    master = "m1:" + base64.b64encode(os.urandom(32)).decode()
    result = _check(CASEDESK_MASTER_KEYS=master, CASEDESK_BLIND_INDEX_KEY=f"v2:{hkdf}")
    assert result.returncode != 0 and "casedesk.E106" in result.stderr
    assert "casedesk.E101" not in result.stderr and "casedesk.E103" not in result.stderr


def test_sub_keys_are_hkdf_one_per_purpose(settings):
    settings.SECRET_KEY = SECRET
    code = secrets.access_code_new()
    key = _hkdf(SECRET.encode(), "casedesk/access-code/v2")
    expected = hmac.new(key, code.replace("-", "").encode(), hashlib.sha256).hexdigest()
    assert secrets.access_code_hash(code) == expected
    assert _hkdf(SECRET.encode(), "casedesk/seal/v2") != key
    sealed = secrets.seal(code)
    assert Fernet(base64.urlsafe_b64encode(
        _hkdf(SECRET.encode(), "casedesk/seal/v2"))).decrypt(sealed.encode()).decode() == code


def test_what_the_older_derivation_made_still_checks_and_opens(settings):
    settings.SECRET_KEY = SECRET
    code = secrets.access_code_new()
    old_hash = hmac.new(_legacy("access-code"), code.replace("-", "").encode(),
                        hashlib.sha256).hexdigest()
    assert old_hash != secrets.access_code_hash(code)
    assert secrets.access_code_matches(code.lower(), old_hash)
    assert not secrets.access_code_matches(secrets.access_code_new(), old_hash)
    old_sealed = Fernet(base64.urlsafe_b64encode(_legacy("seal"))).encrypt(code.encode())
    assert secrets.unseal(old_sealed.decode()) == code


def test_a_v2_blind_index_key_is_used_through_hkdf_per_purpose(settings):
    root = os.urandom(32)
    settings.CASEDESK_BLIND_INDEX_KEY = "v2:" + base64.b64encode(root).decode()
    phone = crypto.blind_index("phone", "9123456789")
    key = _hkdf(root, "casedesk/blind-index/phone")
    assert phone == hmac.new(key, b"phone\x1f9123456789", hashlib.sha256).hexdigest()[:32]
    assert crypto.blind_index("email", "9123456789") != phone
    # A key in the older form keeps its indexes (they match what is stored).
    settings.CASEDESK_BLIND_INDEX_KEY = "an-older-key"
    older = hmac.new(_legacy("blind", "an-older-key"), b"phone\x1f9123456789",
                     hashlib.sha256).hexdigest()[:32]
    assert crypto.blind_index("phone", "9123456789") == older


def test_blind_index_rebuild_moves_the_indexes_to_a_new_key(register, settings):
    from django.core.management import call_command

    from casedesk.core.fields import blind_value
    from casedesk.people.models import Person

    case = register()
    member = Person.objects.get(pk=case.service_member_id)
    settings.CASEDESK_BLIND_INDEX_KEY = crypto.blind_key_new()
    wanted = blind_value("name+birth", member.full_name, member.birth_date)
    assert Person.objects.get(pk=member.pk).name_birth_index != wanted
    call_command("blind_index_rebuild", stdout=open(os.devnull, "w"))  # noqa: SIM115
    assert Person.objects.get(pk=member.pk).name_birth_index == wanted


@pytest.mark.parametrize("bad", ["v2:short", "v2:" + "A" * 10])
def test_a_malformed_v2_key_is_refused(settings, bad):
    from django.core.exceptions import ImproperlyConfigured

    settings.CASEDESK_BLIND_INDEX_KEY = bad
    with pytest.raises(ImproperlyConfigured):
        crypto.blind_index("phone", "1")
