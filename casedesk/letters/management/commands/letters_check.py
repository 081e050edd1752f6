from django.core.management.base import BaseCommand, CommandError

from casedesk.core.errors import ApplicationError
from casedesk.letters import services
from casedesk.letters.checks import problems
from casedesk.letters.models import LetterTemplate


class Command(BaseCommand):
    help = ("Render every letter template (the rulebook's files of every version and the "
            "templates edited in the admin) with sample data to PDF and DOCX; fail naming "
            "the template and the line of the first problem of each.")

    def handle(self, *args, **options):
        from casedesk import rulebook
        from casedesk.letters.selectors import letters_folder

        found = problems(pdf=True)
        folder = letters_folder(rulebook.current())
        edited = LetterTemplate.objects.order_by("kind", "language")
        for template in edited:
            try:
                services.letter_check(kind=template.kind, language=template.language,
                                      body=template.body, folder=folder)
            except ApplicationError as exc:
                found.append(str(exc))
        for message in found:
            self.stderr.write(message)
        if found:
            raise CommandError(f"{len(found)} letter template(s) cannot be used.")
        versions = ", ".join(sorted(rulebook.versions()))
        self.stdout.write(f"Letter templates are fine (rulebook {versions}; "
                          f"{len(edited)} edited in the admin).")
