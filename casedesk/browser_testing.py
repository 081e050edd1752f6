"""Helpers for browser tests: headless Chromium driven by Playwright's sync API.

Any app's browser tests can use them; import the fixtures (and the report hook) into that
app's ``conftest.py``::

    from casedesk.browser_testing import (  # noqa: F401
        browser, new_page, page, pytest_runtest_makereport,
    )

``browser`` is one Chromium for the whole session. ``new_page(...)`` opens a page in a fresh
context (its own cookies, so its own signed-in person); ``page`` is one desktop page.
Chromium is the Debian build at /usr/bin/chromium: Playwright cannot download its own.

While Playwright's sync API runs it keeps an asyncio loop running on the main thread, and
Django would then refuse every ORM call made by the test itself (SynchronousOnlyOperation).
So ``browser`` sets DJANGO_ALLOW_ASYNC_UNSAFE from the first browser test to the end of the
session and restores it afterwards; tests that run later in the same session run with that
check off too.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import translation

CHROMIUM = os.environ.get("CASEDESK_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
TIMEOUT_MS = 10_000

REPO = Path(__file__).resolve().parents[1]
SCREENSHOTS = REPO / "test-artifacts" / "screenshots"


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                              args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
    finally:
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def new_page(browser, request) -> Iterator[Callable]:
    """Open a page in a new browser context: ``new_page(viewport=PHONE,
    java_script_enabled=False)``; any other keyword goes to ``browser.new_context``.

    Uncaught JavaScript errors fail the test. When the test fails, every page it opened is
    saved to test-artifacts/screenshots/FAILED-<test>-<n>.png."""
    contexts, errors = [], []

    def make(*, viewport: dict | None = None, **options):
        context = browser.new_context(viewport=viewport or DESKTOP, **options)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        opened = context.new_page()
        opened.on("pageerror", lambda error: errors.append(f"{opened.url}: {error}"))
        return opened

    yield make
    report = getattr(request.node, "rep_call", None)
    try:
        if report is not None and report.failed:
            stem = re.sub(r"[^\w.-]+", "_", request.node.name)
            for n, context in enumerate(contexts):
                for opened in context.pages:
                    screenshot(opened, f"FAILED-{stem}-{n}")
    finally:
        for context in contexts:
            context.close()
    assert not errors, f"JavaScript errors in the page: {errors}"


@pytest.fixture
def page(new_page):
    """One desktop-sized page with JavaScript on."""
    return new_page()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item (``new_page`` looks at ``rep_call``)."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


def url(live_server, name: str, *args, language: str = "en", query: str = "") -> str:
    """The absolute URL of a named route in one language: url(live_server, "staff:case",
    case.number, language="ru", query="inline=1")."""
    with translation.override(language):
        path = reverse(name, args=args)
    return f"{live_server.url}{path}" + (f"?{query}" if query else "")


def login(page, live_server, username: str, password: str, language: str = "en"):
    """Sign in through the staff login page as a person would; returns the page, now on
    whatever page the login redirected to."""
    address = url(live_server, "staff:login", language=language)
    page.goto(address)
    form = page.locator("main form")
    form.locator("#id_username").fill(username)
    form.locator("#id_password").fill(password)
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    if page.url.split("?")[0] == address:
        error = page.locator("main [role=alert]")
        raise AssertionError(f"could not sign in as {username!r}: "
                             f"{error.inner_text() if error.count() else 'still on ' + page.url}")
    return page


def logout(page):
    """Sign out with the header's button."""
    with page.expect_navigation():
        page.locator("header form[action$='/staff/logout/'] button").click()
    return page


def screenshot(page, name: str, *, full_page: bool = True) -> Path:
    """Save a PNG of the page to <repo>/test-artifacts/screenshots/<name>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path
