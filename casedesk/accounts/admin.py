"""Staff accounts, offices and groups in the admin, every change audited (issue 15,
finding 1): roles, offices, groups, permissions, the active/staff/superuser flags,
passwords and authenticators. An administrator cannot set another person's password:
the admin's password page for another account files a reset that a second administrator
approves (``services.password_reset_approve``). Enrolment codes for the second factor
are issued here (an action on the staff list) and shown once. Which models the admin
shows at all, and the audit of every page viewed: ``admin_site``."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import SetPasswordForm
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from casedesk import rulebook
from casedesk.audit.services import audit_record
from casedesk.core.errors import ApplicationError

from . import services
from .models import Office, PasswordResetRequest, User


def _permission_codes(queryset) -> set[str]:
    return {f"{app}.{codename}" for app, codename in
            queryset.values_list("content_type__app_label", "codename")}


class OfficeForm(forms.ModelForm):
    class Meta:
        model = Office
        fields = ["code", "name_ru", "name_en", "region", "procedure", "regional_law",
                  "timezone", "is_active",
                  "address_ru", "address_en", "phone", "email", "hours_ru", "hours_en",
                  "controller_ru", "controller_en", "regions", "is_default", "answer_approval"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The office chooses its procedure kind among the rulebook's procedures: a federal
        # or regional commissioner, a public body (59-FZ) or an NGO (its own rules).
        book = rulebook.current()
        language = translation.get_language()
        current = self.initial.get("procedure") or self.instance.procedure
        choices = [(p.code, p.label.get(language)) for p in book.procedures.values()]
        if current and current not in book.procedures:
            choices.append((current, current))
        self.fields["procedure"] = forms.ChoiceField(
            label=_("procedure"), choices=choices,
            help_text=_("Who the office is decides which law governs its deadlines and "
                        "letters: a commissioner (1-FKZ; 48-FZ and the regional law), a "
                        "public body (59-FZ) or an NGO (its own rules, not law)."))

    def clean_procedure(self):
        value = self.cleaned_data["procedure"]
        if value not in rulebook.current().procedures:
            raise forms.ValidationError(
                _("Unknown procedure. The rulebook in force has: %(codes)s"),
                params={"codes": ", ".join(rulebook.current().procedures)},
            )
        return value

    def clean(self):
        cleaned = super().clean()
        procedure = rulebook.current().procedures.get(cleaned.get("procedure") or "")
        if procedure is not None and procedure.regional_law \
                and not (cleaned.get("regional_law") or "").strip():
            self.add_error("regional_law", _("A regional commissioner's letters cite the "
                                             "region's law: name it."))
        return cleaned


@admin.register(Office)
class OfficeAdmin(admin.ModelAdmin):
    form = OfficeForm
    list_display = ["code", "name_ru", "name_en", "region", "procedure", "is_default",
                    "is_active"]
    search_fields = ["code", "name_ru", "name_en"]
    filter_horizontal = ["regions"]
    list_select_related = ["region"]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        audit_record(action="office.changed" if change else "office.created",
                     actor=request.user, object_type="office", object_id=form.instance.pk,
                     data={"fields": sorted(form.changed_data),
                           "is_active": form.instance.is_active})


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "role", "is_active", "last_login"]
    list_filter = ["role", "is_active", "offices"]
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        (_("casedesk"), {"fields": ("role", "offices", "position_ru", "position_en",
                                    "language", "daily_digest")}),
    )
    add_fieldsets = (
        *BaseUserAdmin.add_fieldsets,
        (_("casedesk"), {"fields": ("role", "offices", "language")}),
    )
    filter_horizontal = ["offices", "groups", "user_permissions"]
    actions = ["issue_enrolment_code", "remove_authenticators"]

    def save_model(self, request, obj, form, change):
        before = User.objects.filter(pk=obj.pk).values("role", "is_active", "is_staff",
                                                       "is_superuser").first() or {}
        if obj.pk:
            related = (set(obj.offices.values_list("pk", flat=True)),
                       set(obj.groups.values_list("pk", flat=True)),
                       _permission_codes(obj.user_permissions.all()))
        else:
            related = (set(), set(), set())
        request._casedesk_before = (before, *related)
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        """Every change of a role, office, group, permission, activity or admin right is
        audited (after the many-to-many fields are saved, so the entry says what was
        added and removed); a new account's first password too."""
        super().save_related(request, form, formsets, change)
        obj = form.instance
        before, offices_before, groups_before, perms_before = getattr(
            request, "_casedesk_before", ({}, set(), set(), set()))
        offices_after = set(obj.offices.values_list("pk", flat=True))
        groups_after = set(obj.groups.values_list("pk", flat=True))
        perms_after = _permission_codes(obj.user_permissions.all())
        audit_record(action="permission.change", actor=request.user, object_type="user",
                     object_id=obj.pk, data={
                         "role": obj.role, "previous_role": before.get("role"),
                         "offices_added": sorted(offices_after - offices_before),
                         "offices_removed": sorted(offices_before - offices_after),
                         "groups_added": sorted(groups_after - groups_before),
                         "groups_removed": sorted(groups_before - groups_after),
                         "permissions_added": sorted(perms_after - perms_before)[:100],
                         "permissions_removed": sorted(perms_before - perms_after)[:100],
                         "is_active": obj.is_active, "is_staff": obj.is_staff,
                         "is_superuser": obj.is_superuser,
                         # which fields changed (names only): an email or username too
                         "fields": sorted(form.changed_data)})
        if not change:
            audit_record(action="password.changed", actor=request.user, object_type="user",
                         object_id=obj.pk, data={"via": "admin_add"})

    def delete_model(self, request, obj):
        audit_record(action="user.deleted", actor=request.user, object_type="user",
                     object_id=obj.pk, data={"role": obj.role})
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            audit_record(action="user.deleted", actor=request.user, object_type="user",
                         object_id=obj.pk, data={"role": obj.role})
        super().delete_queryset(request, queryset)

    def user_change_password(self, request, id, form_url=""):
        """One's own password: Django's page, audited. Another person's: a reset request
        that a second administrator approves (see the module docstring)."""
        user = self.get_object(request, unquote(id))
        if user is None:
            raise Http404
        if user.pk == request.user.pk:
            response = super().user_change_password(request, id, form_url)
            if request.method == "POST" and response.status_code == 302:
                audit_record(action="password.changed", actor=request.user,
                             object_type="user", object_id=user.pk, data={"via": "admin"})
            return response
        if not self.has_change_permission(request, user):
            raise PermissionDenied
        form = SetPasswordForm(user, request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.password_reset_request(
                    actor=request.user, user=user,
                    password=form.cleaned_data["new_password1"])
            except ApplicationError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, _(
                    "The new password is waiting for a second administrator's approval "
                    "(Password resets). It takes effect only then, and the account's owner "
                    "is told by email."))
                return HttpResponseRedirect(reverse("admin:accounts_user_change",
                                                    args=[user.pk]))
        return TemplateResponse(request, "admin/accounts/password_reset_request.html", {
            **self.admin_site.each_context(request), "opts": self.opts, "original": user,
            "form": form, "title": _("Request a new password")})

    @admin.action(description=_("Issue a two-factor enrolment code"))
    def issue_enrolment_code(self, request, queryset):
        users = list(queryset[:2])
        if len(users) != 1:
            self.message_user(request, _("Choose exactly one staff member."),
                              messages.ERROR)
            return None
        try:
            code, expires = services.enrolment_code_issue(user=users[0], actor=request.user)
        except ApplicationError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return None
        response = TemplateResponse(request, "admin/accounts/enrolment_code.html", {
            **self.admin_site.each_context(request), "opts": self.opts,
            "person": users[0], "code": code, "expires": expires,
            "title": _("Two-factor enrolment code")})
        response["Cache-Control"] = "no-store"
        return response

    @admin.action(description=_("Remove the authenticators (lost or stolen phone)"))
    def remove_authenticators(self, request, queryset):
        if not services.is_administrator(request.user):
            raise PermissionDenied
        count = sum(services.devices_remove(user=user, actor=request.user)
                    for user in queryset)
        self.message_user(request, _("Authenticators removed: %(count)s. The person needs "
                                     "a new enrolment code to sign in again.")
                          % {"count": count})


@admin.register(PasswordResetRequest)
class PasswordResetRequestAdmin(admin.ModelAdmin):
    """Pending and past password resets; a second administrator approves them here."""

    list_display = ["user", "requested_by", "requested_at", "approved_by", "approved_at",
                    "cancelled_at"]
    list_select_related = ["user", "requested_by", "approved_by"]
    fields = ["user", "requested_by", "requested_at", "approved_by", "approved_at",
              "cancelled_at"]
    readonly_fields = fields
    actions = ["approve"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Approve the selected password resets"))
    def approve(self, request, queryset):
        for reset in queryset:
            try:
                services.password_reset_approve(actor=request.user, reset=reset)
            except ApplicationError as exc:
                self.message_user(request, str(exc), messages.ERROR)
            else:
                self.message_user(request, _(
                    "The new password of %(username)s is set; the owner is told by email.")
                    % {"username": reset.user.get_username()})


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(BaseGroupAdmin):
    """Django's group admin; a change of a group's permissions is audited."""

    def save_model(self, request, obj, form, change):
        request._casedesk_before = (_permission_codes(obj.permissions.all())
                                    if obj.pk else set())
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        before = getattr(request, "_casedesk_before", set())
        after = _permission_codes(form.instance.permissions.all())
        audit_record(action="group.changed" if change else "group.created",
                     actor=request.user, object_type="group", object_id=form.instance.pk,
                     data={"permissions_added": sorted(after - before)[:100],
                           "permissions_removed": sorted(before - after)[:100]})

    def delete_model(self, request, obj):
        audit_record(action="group.deleted", actor=request.user, object_type="group",
                     object_id=obj.pk)
        super().delete_model(request, obj)
