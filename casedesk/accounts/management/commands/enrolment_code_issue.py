"""Issue a two-factor enrolment code from the server's shell: for the first administrator
of a new installation (who cannot reach the admin before enrolling) or when no
administrator can sign in. ``--operator`` names the administrator running it (audited
as the issuer); the code is printed once."""

from django.core.management.base import BaseCommand, CommandError

from casedesk.accounts import services
from casedesk.accounts.models import User
from casedesk.core.errors import ApplicationError


class Command(BaseCommand):
    help = "Issue a one-time two-factor enrolment code for a staff account."

    def add_arguments(self, parser):
        parser.add_argument("username", help="the account that will enrol an authenticator")
        parser.add_argument("--operator", required=True,
                            help="username of the administrator running this command")

    def handle(self, *args, username, operator, **options):
        try:
            user = User.objects.get(username=username)
            actor = User.objects.get(username=operator)
        except User.DoesNotExist:
            raise CommandError("No such account.") from None
        try:
            code, expires = services.enrolment_code_issue(user=user, actor=actor)
        except ApplicationError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"Enrolment code for {username}: {code}")
        self.stdout.write(f"It works once, until {expires:%Y-%m-%d %H:%M %Z}. "
                          "Give it in person or by telephone.")
