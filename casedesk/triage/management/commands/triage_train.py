"""Train the category model of a rulebook version on the office's confirmed cases."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from casedesk import rulebook
from casedesk.triage import services


class Command(BaseCommand):
    help = ("Train the category suggestion model of a rulebook version (default: the one "
            "in force) on the confirmed cases and store it sealed; until there are enough "
            "of them the rulebook's rules keep suggesting (docs/triage.md). Nightly.")

    def add_arguments(self, parser):
        parser.add_argument("--rulebook", dest="version", default=None)

    def handle(self, *args, version, **options):
        version = version or rulebook.current().version
        row = services.train(version)
        if row is None:
            self.stdout.write(f"rulebook {version}: not enough confirmed cases yet; the "
                              "rules from the rulebook keep suggesting.")
            return
        left = row.metrics.get("left_out") or []
        self.stdout.write(f"rulebook {version}: model {row.pk} trained on {row.examples} "
                          f"cases, {len(row.classes)} categories"
                          + (f" ({len(left)} with too few cases left out)" if left else "")
                          + ".")
