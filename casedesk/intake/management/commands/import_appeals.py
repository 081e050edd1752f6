"""manage.py import_appeals FILE --office MSK [--user clerk] [--dry-run] (docs/import.md)."""

from __future__ import annotations

import json
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import InterfaceError, OperationalError
from django.utils import translation
from django.utils.translation import gettext as _

from casedesk.accounts.models import Office, User
from casedesk.audit.operator import add_operator_argument, command_operator
from casedesk.core.errors import ApplicationError
from casedesk.intake.bulk_import import appeals_import


class Command(BaseCommand):
    help = ("Import appeals received outside casedesk from a CSV file (UTF-8, header row; "
            "format in docs/import.md). Every row is checked first: if any is bad, every bad "
            "row is listed and nothing is imported; otherwise all rows are imported in one "
            "transaction. Rows imported before are skipped.")

    def add_arguments(self, parser):
        parser.add_argument("file", help="the CSV file")
        parser.add_argument("--office", required=True, help="the office code, e.g. MSK")
        parser.add_argument("--user", help="the username of the clerk the import is made for "
                            "(default: the system)")
        parser.add_argument("--dry-run", action="store_true",
                            help="check the file and count what would be imported; write "
                            "nothing")
        parser.add_argument("--language", choices=[code for code, _name in settings.LANGUAGES],
                            help="the language of the messages (default: the site's)")
        add_operator_argument(parser)

    def handle(self, *args, file, office, operator, user=None, dry_run=False, language=None,
               **options):
        with translation.override(language or translation.get_language()):
            try:
                with command_operator(operator):
                    self._import(file, office, user, dry_run, options["verbosity"])
            except (OperationalError, InterfaceError):
                # Before or after the write (within it, appeals_import says more).
                raise CommandError(_(
                    "The database is not available: nothing was imported. Run the import "
                    "again when it is.")) from None
            except KeyboardInterrupt:
                raise CommandError(_(
                    "The import was interrupted before it finished. Run it again: rows "
                    "imported before are skipped, so nothing is imported twice.")) from None

    def _import(self, path, office_code, username, dry_run, verbosity):
        office = Office.objects.filter(code=office_code).first()
        if office is None:
            raise CommandError(_("No office with the code %(code)s.") % {"code": office_code})
        actor = None
        if username:
            actor = User.objects.filter(username=username, is_active=True).first()
            if actor is None:
                raise CommandError(_("No active user %(username)s.") % {"username": username})
        started = time.perf_counter()
        try:
            result = appeals_import(actor=actor, office=office, path=path, dry_run=dry_run)
        except (ApplicationError, OSError) as exc:
            raise CommandError(str(exc)) from None
        seconds = time.perf_counter() - started
        if result.errors:
            for error in result.errors:
                if error.column:
                    line = _("Row %(row)s, column %(column)s: %(message)s")
                else:
                    line = _("Row %(row)s: %(message)s")
                self.stderr.write(line % {"row": error.row, "column": error.column,
                                          "message": error.text()})
            raise CommandError(_("Errors found: %(count)s. Nothing was imported.")
                               % {"count": len(result.errors)})
        self.stdout.write(_("Rows in the file: %(rows)s.") % {"rows": result.rows})
        self.stdout.write(_("Already imported before, skipped: %(count)s.")
                          % {"count": result.already_imported})
        if dry_run:
            self.stdout.write(_("Dry run: rows that would be imported: %(count)s. Nothing "
                                "was written.") % {"count": result.imported})
            return
        self.stdout.write(_("Imported: %(count)s appeals in %(seconds)s s.")
                          % {"count": result.imported, "seconds": f"{seconds:.1f}"})
        if verbosity >= 2:
            steps = {name: round(value, 3) for name, value in result.timings.items()}
            self.stdout.write(_("Seconds per step: %(steps)s")
                              % {"steps": json.dumps(steps)})
