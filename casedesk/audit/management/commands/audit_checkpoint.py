import json

from django.core.management.base import BaseCommand

from casedesk.audit.selectors import checkpoint_current


class Command(BaseCommand):
    help = ("Write the audit chain's head as one JSON line {seq, hash, at, count} to "
            "stdout or append it to --output, for storage outside this database.")

    def add_arguments(self, parser):
        parser.add_argument("--output", metavar="FILE",
                            help="append the line to this file instead of printing it")

    def handle(self, *args, **options):
        line = json.dumps(checkpoint_current(), sort_keys=True)
        if options["output"]:
            with open(options["output"], "a", encoding="utf-8") as file:
                file.write(line + "\n")
        else:
            self.stdout.write(line)
