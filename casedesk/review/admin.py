"""Commissions and their members in the admin.

Members must be active commission-member staff of the commission's office and a
commission has exactly one chair (``services.commission_members_check``, the one rule).
Every create, change and delete of a commission or of its membership is audited: who
(the admin's user id), what (the fields changed, the user ids added or removed, the
chair), never names.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from casedesk.accounts.roles import Role
from casedesk.accounts.services import is_administrator
from casedesk.audit.services import audit_record
from casedesk.core.errors import ApplicationError

from .models import Commission, CommissionMember
from .services import commission_members_check


class MembershipFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        if any(self.errors):
            return
        members = []
        for form in self.forms:
            data = getattr(form, "cleaned_data", None) or {}
            if not data.get("user") or data.get("DELETE"):
                continue
            members.append((data["user"], bool(data.get("is_chair"))))
        office = getattr(self.instance, "office", None) if self.instance.office_id else None
        try:
            commission_members_check(office=office, members=members)
        except ApplicationError as error:
            raise forms.ValidationError(str(error), code=error.code) from None
        if not members and self.instance.is_active:
            raise forms.ValidationError(
                _("An active commission needs its members and a chair."), code="no_members")


class MembershipInline(admin.TabularInline):
    model = CommissionMember
    formset = MembershipFormSet
    extra = 3
    fields = ["user", "is_chair"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user":
            from casedesk.accounts.models import User

            kwargs["queryset"] = User.objects.filter(
                role=Role.COMMISSION_MEMBER, is_active=True).order_by("username")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


def _members(commission_id) -> dict[int, bool]:
    if not commission_id:
        return {}
    return dict(CommissionMember.objects.filter(commission_id=commission_id)
                .values_list("user_id", "is_chair"))


@admin.register(Commission)
class CommissionAdmin(admin.ModelAdmin):
    list_display = ["name_ru", "name_en", "office", "chair", "member_count", "is_active"]
    list_filter = ["office", "is_active"]
    list_select_related = ["office"]
    fields = ["office", "name_ru", "name_en", "is_active"]
    inlines = [MembershipInline]

    @admin.display(description=_("chair"))
    def chair(self, obj):
        member = obj.memberships.filter(is_chair=True).select_related("user").first()
        return (member.user.get_full_name() or member.user.username) if member else "—"

    @admin.display(description=_("members"))
    def member_count(self, obj):
        return obj.memberships.count()

    def _may_edit(self, request) -> bool:
        return is_administrator(request.user)

    def has_add_permission(self, request):
        return self._may_edit(request) and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        return self._may_edit(request) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._may_edit(request) and super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        request._casedesk_members_before = _members(obj.pk)
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        """Members who stop chairing are saved before the new chair, so that the database's
        one-chair constraint holds at every step of a swap."""
        instances = formset.save(commit=False)
        for obj in formset.deleted_objects:
            obj.delete()
        for obj in sorted(instances, key=lambda m: m.is_chair):
            obj.save()
        formset.save_m2m()

    def save_related(self, request, form, formsets, change):
        """After the members are saved: one entry per member added, removed or whose
        chair flag changed (user ids only)."""
        super().save_related(request, form, formsets, change)
        obj = form.instance
        before = getattr(request, "_casedesk_members_before", {})
        after = _members(obj.pk)
        # Written last (the audit chain's lock is held until the commit).
        audit_record(action="commission.changed" if change else "commission.created",
                     actor=request.user, object_type="commission", object_id=obj.pk,
                     data={"office": obj.office_id, "fields": sorted(form.changed_data),
                           "is_active": obj.is_active})
        for user_id in sorted(after.keys() - before.keys()):
            audit_record(action="commission.member_added", actor=request.user,
                         object_type="commission", object_id=obj.pk,
                         data={"user": user_id, "role": _role(after[user_id])})
        for user_id in sorted(before.keys() - after.keys()):
            audit_record(action="commission.member_removed", actor=request.user,
                         object_type="commission", object_id=obj.pk,
                         data={"user": user_id, "role": _role(before[user_id])})
        for user_id in sorted(before.keys() & after.keys()):
            if before[user_id] != after[user_id]:
                audit_record(action="commission.member_changed", actor=request.user,
                             object_type="commission", object_id=obj.pk,
                             data={"user": user_id, "role": _role(after[user_id]),
                                   "previous_role": _role(before[user_id])})

    def delete_model(self, request, obj):
        self._audit_delete(request, obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self._audit_delete(request, obj)
        super().delete_queryset(request, queryset)

    def _audit_delete(self, request, obj):
        # Written before the delete, in the admin's transaction: a refused delete (the
        # commission has referrals or sessions) rolls the entry back with it.
        audit_record(action="commission.deleted", actor=request.user,
                     object_type="commission", object_id=obj.pk,
                     data={"office": obj.office_id,
                           "count": obj.memberships.count()})


def _role(is_chair: bool) -> str:
    return "chair" if is_chair else "member"
