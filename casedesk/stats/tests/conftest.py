import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with no cached figures and no counted requests (the public pages
    are rate-limited per address, and every test client is 127.0.0.1)."""
    cache.clear()
    yield
    cache.clear()
