"""Who runs a management command that reads or changes personal data.

``person_erase``, ``subject_export``, ``keys_rotate``, ``import_appeals`` and
``retention_apply`` take a required ``--operator USERNAME``: the casedesk account of the
person who runs them (for scheduled runs, an account kept for the scheduler: no roles,
no usable password). The command runs inside ``command_operator``, and every audit entry
written meanwhile records the operator's user id (``data.operator``) and the numeric OS
user id of the process (``data.os_uid``); an entry that would otherwise be the system's
becomes the operator's, with actor kind ``command``.

Why a casedesk account and not the OS login (``getpass.getuser()``): on a server the
commands run as the service account (``sudo -u casedesk``), so the login names nobody,
``getpass`` believes ``$USER``, and a login name is a name, which the audit log never
holds. The account's id is an id; the OS user id is recorded beside it as a second
witness that the environment cannot change.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
from collections.abc import Iterator
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError
from django.utils.translation import gettext as _


@dataclass(frozen=True)
class Operator:
    user_id: int
    os_uid: int | None


current_operator: contextvars.ContextVar[Operator | None] = contextvars.ContextVar(
    "audit_operator", default=None)


def add_operator_argument(parser, *aliases: str) -> None:
    parser.add_argument(
        "--operator", *aliases, dest="operator", required=True, metavar="USERNAME",
        help="your casedesk username (for scheduled runs, the scheduler's account): "
             "recorded, as an id, in every audit entry the command writes")


def os_uid() -> int | None:
    getuid = getattr(os, "getuid", None)
    return getuid() if getuid else None


@contextlib.contextmanager
def command_operator(username: str) -> Iterator[Operator]:
    """Run the body as ``username``'s command; ``CommandError`` if no active account has
    that name."""
    user = get_user_model().objects.filter(username=username, is_active=True).only("pk").first()
    if user is None:
        raise CommandError(_("--operator: no active account %(username)s.")
                           % {"username": username})
    operator = Operator(user_id=user.pk, os_uid=os_uid())
    token = current_operator.set(operator)
    try:
        yield operator
    finally:
        current_operator.reset(token)
