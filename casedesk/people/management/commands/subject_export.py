from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from casedesk.accounts.models import User
from casedesk.audit.operator import add_operator_argument, command_operator
from casedesk.core.errors import ApplicationError
from casedesk.people.lifecycle.subject import subject_export
from casedesk.people.models import Person


class Command(BaseCommand):
    help = "Export everything held about one person to a JSON file (subject access request)."

    def add_arguments(self, parser):
        parser.add_argument("--person", type=int, required=True, help="the person's id")
        # The supervisor making the export is the operator (--supervisor: the old name).
        add_operator_argument(parser, "--supervisor")
        parser.add_argument("--output", required=True, help="file to write")

    def handle(self, *args, person, operator, output, **options):
        with command_operator(operator):
            self._export(person, operator, output)

    def _export(self, person, supervisor, output):
        actor = User.objects.filter(username=supervisor).first()
        subject = Person.objects.filter(pk=person).first()
        if actor is None or subject is None:
            raise CommandError("no such supervisor or person")
        try:
            data = subject_export(actor=actor, person=subject)
        except ApplicationError as exc:
            raise CommandError(str(exc)) from None
        Path(output).write_bytes(data)
        self.stdout.write(f"wrote {output} ({len(data)} bytes); the export is in the audit log")
