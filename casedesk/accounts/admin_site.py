"""casedesk's admin site (issue 15, findings 1 and 8): what the administrator may see,
and a record of what they saw.

What is in the admin
--------------------
Only the models in ``ADMIN_MODELS``: staff accounts, offices, groups, regions, letter
templates, commissions and pending password resets. ``register`` ignores every other
model, ours or a third-party app's, so case files, appeals, events, documents, notes,
people, second-factor devices and secrets, tasks and sign-in records never get an admin
page, even if an app registers one (deny by default). Their data is reached through the
staff pages, which check the office and the role and audit each read.

What the administrator saw
--------------------------
Every page of a model's admin (the list, an object's page, its history, the delete
confirmation, a letter template's preview) answered with 200 to a GET writes an
``admin.read`` audit entry: who, the model (``accounts.user``), the object's id, the kind
of page, and for a list the ids it showed (at most 100): codes only, never names.
Changes are audited where they are saved (``accounts.admin``, ``review.admin``,
``letters.services``).
"""

from __future__ import annotations

import re
from functools import wraps

from django.contrib.admin import AdminSite, ModelAdmin
from django.db.models.base import ModelBase
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext_lazy as _

ADMIN_MODELS = frozenset({
    "accounts.user", "accounts.office", "accounts.passwordresetrequest", "auth.group",
    "core.region", "letters.lettertemplate", "review.commission",
})
_ID = re.compile(r"[A-Za-z0-9_.:\-]{1,64}\Z")
MAX_IDS = 100  # audit.services.MAX_LIST_LENGTH


class CasedeskAdminSite(AdminSite):
    site_header = _("casedesk administration")
    site_title = _("casedesk administration")

    def register(self, model_or_iterable, admin_class=None, **options):
        models = ([model_or_iterable] if isinstance(model_or_iterable, ModelBase)
                  else list(model_or_iterable))
        allowed = [m for m in models if m._meta.label_lower in ADMIN_MODELS]
        if allowed:
            super().register(allowed, admin_class, **options)

    def admin_view(self, view, cacheable=False):
        inner = super().admin_view(view, cacheable)
        model_admin = getattr(view, "__self__", None)
        if not isinstance(model_admin, ModelAdmin):
            return inner  # the index, the rulebook, the admin's own password page
        kind = getattr(view, "__name__", "view").removesuffix("_view")

        @wraps(inner)
        def audited(request, *args, **kwargs):
            response = inner(request, *args, **kwargs)
            if (request.method in ("GET", "HEAD") and response.status_code == 200
                    and request.user.is_authenticated):
                admin_read_record(request=request, model_admin=model_admin, kind=kind,
                                  object_id=kwargs.get("object_id") or kwargs.get("pk"),
                                  response=response)
            return response

        return audited

    def get_urls(self):
        return [
            path("cases/case/rulebook/", self.admin_view(self.rulebook_view),
                 name="cases_rulebook"),
            *super().get_urls(),
        ]

    def rulebook_view(self, request):
        """The rulebook in force and its earlier versions (no personal data)."""
        from casedesk import rulebook

        context = {
            **self.each_context(request),
            "title": _("Rulebook"),
            "books": sorted(rulebook.versions().values(), key=lambda b: b.version,
                            reverse=True),
            "current": rulebook.current(),
        }
        return TemplateResponse(request, "admin/cases/rulebook.html", context)


def admin_read_record(*, request, model_admin, kind: str, object_id, response) -> None:
    from casedesk.audit.services import audit_record

    data: dict = {"kind": kind}
    changelist = (getattr(response, "context_data", None) or {}).get("cl")
    if changelist is not None:
        ids = [obj.pk for obj in changelist.result_list]
        data["count"] = len(ids)
        data["ids"] = [i for i in ids if isinstance(i, int)][:MAX_IDS]
    object_id = str(object_id or "")
    audit_record(action="admin.read", actor=request.user, object_type=(
        model_admin.model._meta.label_lower), object_id=object_id if _ID.match(
            object_id) else ("invalid" if object_id else ""), data=data)
