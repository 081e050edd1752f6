"""Commissions and members in the admin: members of the right role and office, exactly one
chair, and every change audited (user ids and field names, never names)."""

from __future__ import annotations

import json

import pytest

from casedesk.accounts.models import User
from casedesk.accounts.roles import Role
from casedesk.audit.models import AuditEntry
from casedesk.review.models import Commission, CommissionMember

ADD = "/en/admin/review/commission/add/"


def change_url(commission):
    return f"/en/admin/review/commission/{commission.pk}/change/"


@pytest.fixture
def admin_client(client, db):
    user = User.objects.create_superuser("root", password="x" * 16, role="administrator")
    client.force_login(user)
    client.user = user
    return client


@pytest.fixture
def members(office, make_user):
    return [make_user(Role.COMMISSION_MEMBER, office, username=f"member{i}") for i in range(4)]


def form(office, rows, *, initial=0, name_ru="Комиссия офиса", name_en="Office commission",
         is_active=True, ids=()):
    """The add/change form's POST: the commission's fields and the inline rows
    (user, is_chair, delete)."""
    data = {"office": office.pk, "name_ru": name_ru, "name_en": name_en,
            "memberships-TOTAL_FORMS": str(len(rows)),
            "memberships-INITIAL_FORMS": str(initial),
            "memberships-MIN_NUM_FORMS": "0", "memberships-MAX_NUM_FORMS": "1000"}
    if is_active:
        data["is_active"] = "on"
    for i, (user, chair, *delete) in enumerate(rows):
        data[f"memberships-{i}-user"] = user.pk if user else ""
        if chair:
            data[f"memberships-{i}-is_chair"] = "on"
        if delete and delete[0]:
            data[f"memberships-{i}-DELETE"] = "on"
        if i < len(ids):
            data[f"memberships-{i}-id"] = ids[i]
    return data


def test_adding_a_commission_with_members_is_audited(admin_client, office, members):
    response = admin_client.post(ADD, form(office, [(members[0], True), (members[1], False),
                                                    (members[2], False)]))
    assert response.status_code == 302, response.content.decode()[:3000]
    commission = Commission.objects.get()
    assert dict(commission.memberships.values_list("user_id", "is_chair")) == {
        members[0].pk: True, members[1].pk: False, members[2].pk: False}
    created = AuditEntry.objects.get(action="commission.created")
    assert (created.actor_id, created.object_id) == (admin_client.user.pk, str(commission.pk))
    assert created.data["office"] == office.pk
    added = AuditEntry.objects.filter(action="commission.member_added").order_by("seq")
    assert [(e.data["user"], e.data["role"]) for e in added] == [
        (members[0].pk, "chair"), (members[1].pk, "member"), (members[2].pk, "member")]
    everything = json.dumps(list(AuditEntry.objects.values("data", "object_id")),
                            ensure_ascii=False)
    assert "member0" not in everything and "Комиссия" not in everything


def test_changing_the_chair_and_members_is_audited(admin_client, office, members):
    commission = Commission.objects.create(office=office, name_ru="Комиссия",
                                           name_en="Commission")
    rows = [CommissionMember.objects.create(commission=commission, user=m, is_chair=i == 0)
            for i, m in enumerate(members[:3])]
    data = form(office, [(members[0], False), (members[1], True), (members[2], False, True),
                         (members[3], False)],
                initial=3, ids=[r.pk for r in rows], name_ru="Комиссия",
                name_en="Renamed commission")
    response = admin_client.post(change_url(commission), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert dict(commission.memberships.values_list("user_id", "is_chair")) == {
        members[0].pk: False, members[1].pk: True, members[3].pk: False}
    changed = AuditEntry.objects.get(action="commission.changed")
    assert changed.data["fields"] == ["name_en"]
    entries = {(e.action, e.data["user"], e.data["role"])
               for e in AuditEntry.objects.filter(action__startswith="commission.member_")}
    assert entries == {("commission.member_changed", members[0].pk, "member"),
                       ("commission.member_changed", members[1].pk, "chair"),
                       ("commission.member_removed", members[2].pk, "member"),
                       ("commission.member_added", members[3].pk, "member")}


def test_the_chair_passes_to_a_member_listed_above(admin_client, office, members):
    commission = Commission.objects.create(office=office, name_ru="Комиссия",
                                           name_en="Commission")
    rows = [CommissionMember.objects.create(commission=commission, user=m, is_chair=i == 2)
            for i, m in enumerate(members[:3])]
    data = form(office, [(members[0], True), (members[1], False), (members[2], False)],
                initial=3, ids=[r.pk for r in rows], name_ru="Комиссия", name_en="Commission")
    response = admin_client.post(change_url(commission), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert commission.memberships.get(is_chair=True).user == members[0]


def test_deleting_a_commission_is_audited(admin_client, office, members):
    commission = Commission.objects.create(office=office, name_ru="Комиссия",
                                           name_en="Commission")
    CommissionMember.objects.create(commission=commission, user=members[0], is_chair=True)
    response = admin_client.post(f"/en/admin/review/commission/{commission.pk}/delete/",
                                 {"post": "yes"})
    assert response.status_code == 302
    assert not Commission.objects.exists()
    entry = AuditEntry.objects.get(action="commission.deleted")
    assert (entry.actor_id, entry.object_id, entry.data) == (
        admin_client.user.pk, str(commission.pk), {"office": office.pk, "count": 1})


@pytest.mark.parametrize(("rows", "words"), [
    (lambda m, o: [(m[0], False), (m[1], False)], "A commission has exactly one chair."),
    (lambda m, o: [(m[0], True), (m[1], True)], "A commission has exactly one chair."),
    (lambda m, o: [(m[0], True), (o, False)], "does not work in the commission"),
    (lambda m, o: [], "An active commission needs its members and a chair."),
])
def test_wrong_members_are_refused_and_nothing_is_saved(admin_client, office, other_office,
                                                        members, make_user, rows, words):
    outsider = make_user(Role.COMMISSION_MEMBER, other_office, username="spb_member")
    response = admin_client.post(ADD, form(office, rows(members, outsider)))
    assert response.status_code == 200
    assert words in response.content.decode().replace("&#x27;", "'")
    assert not Commission.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="commission.").exists()


def test_only_commission_member_staff_are_offered(admin_client, office, members, staff):
    page = admin_client.get(ADD).content.decode()
    assert "member0" in page
    assert f'<option value="{staff[Role.CASEWORKER].pk}"' not in page
    response = admin_client.post(ADD, form(office, [(members[0], True),
                                                    (staff[Role.CASEWORKER], False)]))
    assert response.status_code == 200 and not Commission.objects.exists()


def test_staff_without_the_administrator_role_cannot_edit(client, office, make_user):
    supervisor = make_user(Role.SUPERVISOR, office, username="boss")
    supervisor.is_staff = True
    supervisor.save()
    client.force_login(supervisor)
    assert client.get(ADD).status_code == 403
