"""Letter templates in the admin: an edit is saved only if it renders to a PDF and a DOCX
with the sample context of its kind; otherwise the form shows where it fails."""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from casedesk import rulebook
from casedesk.accounts.services import is_administrator
from casedesk.core.errors import ApplicationError

from . import selectors, services
from .kinds import COMMON, SPECS
from .models import LetterTemplate
from .rendering import file_name


class LetterTemplateForm(forms.ModelForm):
    class Meta:
        model = LetterTemplate
        fields = ["kind", "language", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 30, "cols": 100,
                                                 "style": "font-family: monospace"})}

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("kind") or self.instance.kind
        language = cleaned.get("language") or self.instance.language
        body = cleaned.get("body")
        if kind and language and body:
            try:
                services.letter_check(kind=kind, language=language, body=body,
                                      folder=selectors.letters_folder(rulebook.current()))
            except ApplicationError as exc:
                self.add_error("body", str(exc))
        return cleaned


@admin.register(LetterTemplate)
class LetterTemplateAdmin(admin.ModelAdmin):
    form = LetterTemplateForm
    list_display = ["kind", "language", "updated_at", "updated_by"]
    list_filter = ["kind", "language"]
    readonly_fields = ["variables", "preview", "updated_at", "updated_by"]
    fields = ["kind", "language", "variables", "body", "preview", "updated_at", "updated_by"]

    @admin.display(description=_("variables"))
    def variables(self, obj):
        kind = obj.kind if obj and obj.pk else None
        own = ", ".join(SPECS[kind].keys) if kind in SPECS else "—"
        return format_html("{}<br>{}", ", ".join(COMMON), own)

    @admin.display(description=_("preview"))
    def preview(self, obj):
        if not obj or not obj.pk:
            return "—"
        url = reverse("admin:letters_lettertemplate_preview", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("PDF with sample data"))

    def get_readonly_fields(self, request, obj=None):
        # Another kind or language is another template: add it, do not rename this one.
        fields = super().get_readonly_fields(request, obj)
        return [*fields, "kind", "language"] if obj else fields

    def _may_edit(self, request) -> bool:
        return is_administrator(request.user)

    def has_add_permission(self, request):
        return self._may_edit(request) and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        return self._may_edit(request) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._may_edit(request) and super().has_delete_permission(request, obj)

    def get_changeform_initial_data(self, request):
        """A new template starts as a copy of the rulebook's file for the kind and language
        in the query string (?kind=decision&language=ru)."""
        initial = super().get_changeform_initial_data(request)
        kind, language = initial.get("kind"), initial.get("language")
        if kind in SPECS and language in ("ru", "en"):
            path = selectors.letters_folder(rulebook.current()) / file_name(kind, language)
            if path.is_file():
                initial["body"] = path.read_text("utf-8")
        return initial

    def save_model(self, request, obj, form, change):
        # The form has checked the body; the service checks again and records who.
        try:
            saved = services.letter_template_save(
                actor=request.user, kind=obj.kind, language=obj.language, body=obj.body)
        except ApplicationError as exc:
            raise PermissionDenied(str(exc)) from None
        obj.pk, obj.updated_at, obj.updated_by = saved.pk, saved.updated_at, saved.updated_by

    def get_urls(self):
        urls = [
            path("<int:pk>/preview/", self.admin_site.admin_view(self.preview_view),
                 name="letters_lettertemplate_preview"),
        ]
        return urls + super().get_urls()

    def preview_view(self, request, pk):
        if not self.has_view_permission(request):
            raise PermissionDenied
        template = get_object_or_404(LetterTemplate, pk=pk)
        try:
            pdf = services.letter_preview(template.kind, template.language,
                                          body=template.body)
        except ApplicationError as exc:
            return HttpResponse(str(exc), content_type="text/plain; charset=utf-8",
                                status=422)
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = (
            f'inline; filename="{template.kind}-{template.language}-preview.pdf"')
        return response
