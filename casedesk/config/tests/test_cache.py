"""The rate limits count in Django's own Redis cache backend (CASEDESK_REDIS_URL in
production): django-ratelimit's add-then-incr counts there, shared by every client of the
same Redis. Needs a Redis (the CI starts one); skipped without it."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.core.cache import caches
from django.test import RequestFactory, override_settings
from django_ratelimit.core import is_ratelimited

REPO = Path(__file__).resolve().parents[3]
REDIS_URL = "redis://127.0.0.1:6379/15"
REDIS = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                     "LOCATION": REDIS_URL}}


def redis_up() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


pytestmark = pytest.mark.skipif(not redis_up(), reason=f"no Redis at {REDIS_URL}")


def test_with_a_redis_url_the_cache_is_djangos_redis_backend():
    code = ("import django; from django.conf import settings; django.setup();"
            "from django.core.cache import cache; from django.core import checks;"
            "cache.set('casedesk-probe', 1, 5);"
            "print(settings.CACHES['default']['BACKEND'], cache.get('casedesk-probe'),"
            " [m.id for m in checks.run_checks(tags=['caches']) if not m.is_silenced()])")
    env = {**os.environ, "CASEDESK_REDIS_URL": REDIS_URL}
    done = subprocess.run([sys.executable, "-c", code], env=env, cwd=REPO,  # noqa: S603
                          capture_output=True, text=True, check=True, timeout=60)
    assert done.stdout.split() == ["django.core.cache.backends.redis.RedisCache", "1", "[]"]


@override_settings(CACHES=REDIS, RATELIMIT_USE_CACHE="default")
def test_a_rate_limit_counts_in_redis_and_refuses_over_the_limit():
    group = f"test-{uuid.uuid4()}"
    request = RequestFactory().post("/", REMOTE_ADDR="192.0.2.7")

    def limited() -> bool:
        return is_ratelimited(request, group=group, key="ip", rate="2/m", increment=True)

    try:
        assert [limited(), limited(), limited()] == [False, False, True]
        # Another address has its own count.
        other = RequestFactory().post("/", REMOTE_ADDR="192.0.2.8")
        assert not is_ratelimited(other, group=group, key="ip", rate="2/m", increment=True)
    finally:
        caches["default"].clear()
