"""Demo staff: realistic names and positions, a clerk and three commission members in
every office, names filled in for existing users only where empty; README lists them."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from django.conf import settings

from casedesk.accounts.models import User
from casedesk.accounts.roles import Role
from casedesk.demo.generator import OFFICES, STAFF, STAFF_PEOPLE, ensure_reference


def test_every_demo_user_has_a_name_and_a_position(db):
    ensure_reference(password="x" * 16)
    users = {u.username: u for u in User.objects.all()}
    assert set(users) == {row[0] for row in STAFF} == set(STAFF_PEOPLE)
    for user in users.values():
        assert user.first_name and user.last_name, user.username
        assert user.position("ru") and user.position("en"), user.username
        assert user.first_name != user.username.title()
    assert users["supervisor"].get_full_name() == "Елена Воронцова"
    assert users["ksm_supervisor"].position("en") == "committee chair"


def test_every_office_has_a_clerk_and_three_commission_members(db):
    ensure_reference(password="x" * 16)
    for code, *_rest in OFFICES:
        roles = Counter(User.objects.filter(offices__code=code).values_list("role", flat=True))
        assert roles[Role.INTAKE_CLERK] >= 1, code
        assert roles[Role.COMMISSION_MEMBER] >= 3, code
        assert roles[Role.SUPERVISOR] >= 1 and roles[Role.CASEWORKER] >= 1, code


def test_existing_users_get_names_only_where_empty(db):
    typed = User.objects.create_user(username="caseworker", password="x" * 16,
                                     role=Role.CASEWORKER, first_name="Мария",
                                     last_name="Иванова")
    blank = User.objects.create_user(username="clerk", password="x" * 16,
                                     role=Role.INTAKE_CLERK, first_name="Clerk")
    ensure_reference(password="x" * 16)
    typed.refresh_from_db()
    blank.refresh_from_db()
    assert typed.get_full_name() == "Мария Иванова"  # what someone typed stays
    assert typed.position_ru == "ведущий специалист"  # the empty position is filled
    assert blank.get_full_name() == "Ольга Миронова"  # the old placeholder is replaced
    assert blank.check_password("x" * 16)


def test_the_readme_lists_every_demo_login():
    readme = (Path(settings.BASE_DIR) / "README.md").read_text(encoding="utf-8")
    table = readme.split("## Demo logins", 1)[1].split("\n\n## ", 1)[0]
    for username, *_rest in STAFF:
        assert f"`{username}`" in table, username
