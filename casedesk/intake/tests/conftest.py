"""Fixtures shared by the intake tests."""

from __future__ import annotations

import pytest

from casedesk.accounts.roles import Role


@pytest.fixture
def clerk(staff):
    return staff[Role.INTAKE_CLERK]


@pytest.fixture
def csv_file(tmp_path):
    """``make(rows, name=…, **write_csv options)``: a CSV of the import's columns."""
    from casedesk.intake.tests.test_bulk_import import write_csv

    def make(rows, name="appeals.csv", **kwargs):
        return write_csv(tmp_path / name, rows, **kwargs)

    return make
