"""Browser fixtures come from casedesk/browser_testing.py, registered in casedesk/conftest.py."""
