"""Fixtures of the review tests: files under a temporary media root, and a commission of
the office with its members (the first one chairs)."""

from __future__ import annotations

import pytest

from casedesk.accounts.roles import Role
from casedesk.review.models import Commission, CommissionMember


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def make_commission(office, make_user):
    def make(size: int) -> Commission:
        commission = Commission.objects.create(office=office, name_ru="Комиссия",
                                               name_en="Commission")
        people = [make_user(Role.COMMISSION_MEMBER, office, username=f"member{i}")
                  for i in range(size)]
        for i, user in enumerate(people):
            CommissionMember.objects.create(commission=commission, user=user,
                                            is_chair=i == 0)
        commission.people = people
        return commission

    return make


@pytest.fixture
def commission(make_commission):
    return make_commission(3)
