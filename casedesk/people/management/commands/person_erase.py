from django.core.management.base import BaseCommand, CommandError

from casedesk.audit.operator import add_operator_argument, command_operator
from casedesk.core.errors import ApplicationError
from casedesk.people.lifecycle.erasure import REASONS, person_erase
from casedesk.people.models import Person


class Command(BaseCommand):
    help = ("Erase one person's data by destroying their data key (crypto-shredding), as the "
            "system; recorded in the audit log. Their cases stay for the statistics.")

    def add_arguments(self, parser):
        parser.add_argument("--person", type=int, required=True, help="the person's id")
        parser.add_argument("--reason", required=True, choices=sorted(REASONS),
                            help="request: lawful erasure request; retention: period passed")
        add_operator_argument(parser)

    def handle(self, *args, person, reason, operator, **options):
        with command_operator(operator):
            self._erase(person, reason)

    def _erase(self, person, reason):
        subject = Person.objects.filter(pk=person).only("pk").first()
        if subject is None:
            raise CommandError(f"no person with id {person}")
        try:
            result = person_erase(actor=None, person=subject, reason_code=reason)
        except ApplicationError as exc:
            raise CommandError(str(exc)) from None
        if result.already_erased:
            self.stdout.write(f"person {person} was already erased on "
                              f"{result.erased_at:%Y-%m-%d}; nothing changed")
            return
        self.stdout.write(
            f"person {person} erased (reason: {reason}): {result.keys_destroyed} data key "
            f"destroyed; blanked their details, {result.appeals} appeal(s) they wrote and "
            f"{result.case_texts} note(s), event text(s), document name(s) and commission "
            f"paper(s) of {result.cases} case(s) about them; the cases are kept for the "
            "statistics; the erasure is in the audit log")
