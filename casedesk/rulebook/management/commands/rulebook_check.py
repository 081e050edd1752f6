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
            self._check_guide(book)

    def _check_guide(self, book) -> None:
        """Run the test cases of the version's guide.yaml: each must give what it expects."""
        guide = book.guide
        if guide is None:
            return
        path = book.path / "guide.yaml"
        for test in guide.tests:
            problems = guide.run_test(test)
            if problems:
                raise CommandError(str(RulebookError(
                    path, f"test case fails: {'; '.join(problems)}", line=test.line,
                    rule=test.name)))
        to_verify = [o.key for o in guide.outcomes if o.verify]
        self.stdout.write(
            f"  guide: {len(guide.questions)} questions, {len(guide.outcomes)} outcomes, "
            f"{len(guide.tests)} test cases pass"
            + (f" ({len(to_verify)} outcomes to verify: {', '.join(to_verify)})"
               if to_verify else ""))
