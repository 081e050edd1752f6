from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from casedesk.rulebook import RulebookError
from casedesk.rulebook.loader import load_all


class Command(BaseCommand):
    help = "Check every rulebook version in a folder (default: the configured rulebook)."

    def add_arguments(self, parser):
        parser.add_argument("folder", nargs="?", help="rulebook folder to check")

    def handle(self, *args, folder=None, **options):
        from django.conf import settings

        directory = Path(folder) if folder else Path(settings.RULEBOOK_DIR)
        try:
            books = load_all(directory)
        except RulebookError as exc:
            raise CommandError(str(exc)) from None
        for book in books.values():
            self.stdout.write(
                f"{book.version}: {len(book.categories)} categories, {len(book.rules)} deadline "
                f"rules, {len(book.grounds)} grounds, in force from {book.manifest.effective_from}"
            )
            to_verify = [p.code for p in book.answer_paragraphs.values() if p.verify]
            self.stdout.write(
                f"  {len(book.answer_paragraphs)} answer paragraphs"
                + (f" ({len(to_verify)} to verify: {', '.join(to_verify)})" if to_verify else ""))
