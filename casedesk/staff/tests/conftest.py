"""Browser fixtures for the staff workspace tests (see browser.py)."""

from casedesk.staff.tests.browser import (  # noqa: F401
    browser,
    new_page,
    page,
    pytest_runtest_makereport,
)
