import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from casedesk.audit.operator import add_operator_argument, command_operator
from casedesk.people.lifecycle.retention import retention_apply


def _day(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--today must be a date YYYY-MM-DD, got {value!r}") from None


class Command(BaseCommand):
    help = ("Erase the people whose cases are all closed and past the retention period of "
            "the rulebook (retention.yaml); run it daily.")

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true",
                            help="count who would be erased; change nothing")
        parser.add_argument("--today", help="judge as on this day (YYYY-MM-DD)")
        add_operator_argument(parser)

    def handle(self, *args, operator, dry_run=False, today=None, **options):
        day = _day(today) if today else None
        with command_operator(operator):
            run = retention_apply(today=day, dry_run=dry_run)
        if run.dry_run:
            self.stdout.write(f"dry run on {run.today}: {run.due} person(s) would be erased; "
                              "nothing changed")
        else:
            self.stdout.write(f"{run.today}: {run.erased} person(s) erased")
            if run.skipped:
                self.stdout.write(f"{run.skipped} person(s) kept: a case of theirs changed "
                                  "meanwhile")
        self.stdout.write(f"{run.kept} person(s) kept: an open case or one within its "
                          "retention period")
        if run.without_cases:
            self.stdout.write(f"{run.without_cases} person(s) in no case: not erased by "
                              "retention, check them by hand")
        if run.unknown_versions:
            self.stderr.write("cases under rulebook versions that are not installed are kept: "
                              + ", ".join(run.unknown_versions))
