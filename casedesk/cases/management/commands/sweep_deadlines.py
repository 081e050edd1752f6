from django.core.management.base import BaseCommand

from casedesk.cases.services import deadlines_sweep


class Command(BaseCommand):
    help = "Flag deadlines that are due soon or overdue and note it in each case's timeline."

    def handle(self, *args, **options):
        counts = deadlines_sweep()
        self.stdout.write(
            f"due soon: {counts['due_soon']}, overdue: {counts['overdue']}, "
            f"cases changed: {counts['cases']}"
        )
