from pathlib import Path

from django.core.management.base import BaseCommand

from casedesk.cases.diagram import render


class Command(BaseCommand):
    help = "Write docs/workflow.md (a Mermaid diagram and tables) from the transition table."

    def add_arguments(self, parser):
        parser.add_argument("--output", help="file to write; standard output if omitted")

    def handle(self, *args, output=None, **options):
        text = render()
        if output:
            Path(output).write_text(text, encoding="utf-8")
            self.stdout.write(f"wrote {output}")
        else:
            self.stdout.write(text)
