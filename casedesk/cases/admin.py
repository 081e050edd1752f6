"""Cases are read-only in the admin: every change goes through the services."""

from django.contrib import admin
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext_lazy as _

from casedesk import rulebook

from .models import Appeal, Case, CaseEvent, Deadline, Document


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class DeadlineInline(admin.TabularInline):
    model = Deadline
    fields = ["rule", "starts_on", "due_on", "extension_days", "closed_on", "met", "flag"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class EventInline(DeadlineInline):
    model = CaseEvent
    fields = ["at", "kind", "actor", "public", "data"]
    readonly_fields = fields


@admin.register(Case)
class CaseAdmin(ReadOnlyAdmin):
    list_display = ["number", "office", "state", "category", "next_due_on", "deadline_flag",
                    "assignee"]
    list_filter = ["office", "state", "deadline_flag", "category"]
    search_fields = ["=number"]
    list_select_related = ["office", "assignee"]
    date_hierarchy = "received_at"
    exclude = ["applicants"]
    inlines = [DeadlineInline, EventInline]
    raw_id_fields = ["service_member"]
    show_full_result_count = False

    def get_urls(self):
        urls = [
            path("rulebook/", self.admin_site.admin_view(self.rulebook_view),
                 name="cases_rulebook"),
        ]
        return urls + super().get_urls()

    def rulebook_view(self, request):
        context = {
            **self.admin_site.each_context(request),
            "title": _("Rulebook"),
            "books": sorted(rulebook.versions().values(), key=lambda b: b.version, reverse=True),
            "current": rulebook.current(),
        }
        return TemplateResponse(request, "admin/cases/rulebook.html", context)


@admin.register(Appeal)
class AppealAdmin(ReadOnlyAdmin):
    list_display = ["id", "case", "channel", "received_at", "language"]
    list_filter = ["channel", "language"]
    list_select_related = ["case"]
    raw_id_fields = ["case", "submitter"]
    show_full_result_count = False


@admin.register(Document)
class DocumentAdmin(ReadOnlyAdmin):
    list_display = ["id", "case", "doc_type", "size", "generated", "created_at"]
    list_filter = ["doc_type", "generated"]
    list_select_related = ["case"]
    show_full_result_count = False
