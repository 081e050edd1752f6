from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    INTAKE_CLERK = "intake_clerk", _("intake clerk")
    CASEWORKER = "caseworker", _("caseworker")
    COMMISSION_MEMBER = "commission_member", _("commission member")
    SUPERVISOR = "supervisor", _("supervisor")
    ANALYST = "analyst", _("analyst")
    ADMINISTRATOR = "administrator", _("administrator")
