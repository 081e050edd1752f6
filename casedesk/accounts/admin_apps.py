"""Django's admin app with casedesk's site (``admin_site.CasedeskAdminSite``) as
``admin.site``; listed in ``INSTALLED_APPS`` instead of ``django.contrib.admin``. Kept
apart from ``admin_site`` because settings import it before the apps are ready."""

from django.contrib.admin.apps import AdminConfig as BaseAdminConfig


class AdminConfig(BaseAdminConfig):
    default_site = "casedesk.accounts.admin_site.CasedeskAdminSite"
