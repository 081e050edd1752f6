from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from casedesk import rulebook

from .models import Office, User


class OfficeForm(forms.ModelForm):
    class Meta:
        model = Office
        fields = ["code", "name_ru", "name_en", "region", "procedure", "timezone", "is_active",
                  "address_ru", "address_en", "phone", "email", "hours_ru", "hours_en",
                  "controller_ru", "controller_en", "regions", "is_default", "answer_approval"]

    def clean_procedure(self):
        value = self.cleaned_data["procedure"]
        if value not in rulebook.current().procedures:
            raise forms.ValidationError(
                _("Unknown procedure. The rulebook in force has: %(codes)s"),
                params={"codes": ", ".join(rulebook.current().procedures)},
            )
        return value


@admin.register(Office)
class OfficeAdmin(admin.ModelAdmin):
    form = OfficeForm
    list_display = ["code", "name_ru", "name_en", "region", "procedure", "is_default",
                    "is_active"]
    search_fields = ["code", "name_ru", "name_en"]
    filter_horizontal = ["regions"]
    list_select_related = ["region"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "role", "is_active", "last_login"]
    list_filter = ["role", "is_active", "offices"]
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        (_("casedesk"), {"fields": ("role", "offices", "position_ru", "position_en",
                                    "daily_digest")}),
    )
    add_fieldsets = (
        *BaseUserAdmin.add_fieldsets,
        (_("casedesk"), {"fields": ("role", "offices")}),
    )
    filter_horizontal = ["offices", "groups", "user_permissions"]

    def save_model(self, request, obj, form, change):
        before = User.objects.filter(pk=obj.pk).values("role", "is_active", "is_staff",
                                                       "is_superuser").first() or {}
        request._casedesk_before = (before, set(
            obj.offices.values_list("pk", flat=True)) if obj.pk else set())
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        """Every change of a role, office, activity or admin right is audited (after the
        offices are saved, so the entry says what was added and removed)."""
        super().save_related(request, form, formsets, change)
        from casedesk.audit.services import audit_record

        obj = form.instance
        before, offices_before = getattr(request, "_casedesk_before", ({}, set()))
        offices_after = set(obj.offices.values_list("pk", flat=True))
        audit_record(action="permission.change", actor=request.user, object_type="user",
                     object_id=obj.pk, data={
                         "role": obj.role, "previous_role": before.get("role"),
                         "offices_added": sorted(offices_after - offices_before),
                         "offices_removed": sorted(offices_before - offices_after),
                         "is_active": obj.is_active, "is_staff": obj.is_staff,
                         "is_superuser": obj.is_superuser})
