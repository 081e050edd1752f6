from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from casedesk import rulebook

from .models import Office, User


class OfficeForm(forms.ModelForm):
    class Meta:
        model = Office
        fields = ["code", "name_ru", "name_en", "region", "procedure", "timezone", "is_active"]

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
    list_display = ["code", "name_ru", "name_en", "region", "procedure", "is_active"]
    search_fields = ["code", "name_ru", "name_en"]
    list_select_related = ["region"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "role", "is_active", "last_login"]
    list_filter = ["role", "is_active", "offices"]
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        (_("casedesk"), {"fields": ("role", "offices")}),
    )
    add_fieldsets = (
        *BaseUserAdmin.add_fieldsets,
        (_("casedesk"), {"fields": ("role", "offices")}),
    )
    filter_horizontal = ["offices", "groups", "user_permissions"]
