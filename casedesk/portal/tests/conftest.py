"""Browser fixtures for the public portal tests.

The Playwright fixtures are the shared ones (see casedesk/browser_testing.py); on top of
them: a phone, uploads in a temporary folder, fresh rate-limit counters for every test (the
portal counts submissions and status checks per client, and every test is the same client
127.0.0.1), and a guard that no page ever asks anything of a server other than the test's.
"""

from __future__ import annotations

import pytest
from django.core.cache import cache

from casedesk.browser_testing import PHONE


@pytest.fixture
def media(settings, tmp_path):
    """Uploaded documents go to a temporary folder, never to var/media."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def fresh_limits():
    """Rate limits count in the (local memory) cache: start and end every test at zero."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def phone(request, new_page, live_server, media, fresh_limits):
    """A phone-sized page with touch, in a fresh context, its browser set to the test's
    ``language`` parameter (Russian if it has none), as a person's phone would be: the date
    picker and file chooser then speak that language too. Requests to anything but the
    live server are refused, and the test fails if a page tried one (no fonts, scripts or
    trackers from elsewhere; axe-core is injected from the installed package)."""
    callspec = getattr(request.node, "callspec", None)
    language = callspec.params.get("language", "ru") if callspec else "ru"
    outside: list[str] = []
    opened = new_page(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2,
                      locale={"ru": "ru-RU", "en": "en-GB"}[language])

    def guard(route):
        if route.request.url.startswith(live_server.url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    opened.context.route("**/*", guard)
    yield opened
    assert not outside, f"the pages asked other servers for: {outside}"
