from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from casedesk.core.architecture import contracts_read, render, splice


class Command(BaseCommand):
    help = ("Write the layer diagram of docs/architecture.md (Mermaid, between its markers) "
            "from the import-linter contracts in pyproject.toml.")

    def add_arguments(self, parser):
        parser.add_argument("--output", help="the page to update between its markers; "
                                             "standard output (the diagram only) if omitted")
        parser.add_argument("--pyproject", default=str(Path(settings.BASE_DIR) / "pyproject.toml"),
                            help="where the contracts are (default: the project's)")

    def handle(self, *args, output=None, pyproject=None, **options):
        generated = render(*contracts_read(Path(pyproject)))
        if not output:
            self.stdout.write(generated)
            return
        path = Path(output)
        try:
            page = splice(path.read_text(encoding="utf-8"), generated)
        except (OSError, ValueError) as error:
            raise CommandError(f"{output}: {error}") from None
        path.write_text(page, encoding="utf-8")
        self.stdout.write(f"wrote {output}")
