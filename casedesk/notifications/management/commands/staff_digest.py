"""Email the daily digest to the staff who switched it on. Run once a day (cron, a systemd
timer); running it again the same day sends nothing twice."""

import datetime as dt

from django.core.management.base import BaseCommand

from casedesk.notifications.digest import digests_send


class Command(BaseCommand):
    help = "Email each opted-in member of staff the list of their unseen attention items."

    def add_arguments(self, parser):
        parser.add_argument("--day", type=dt.date.fromisoformat, default=None,
                            help="the day of the digest (YYYY-MM-DD); today by default")

    def handle(self, *args, day=None, **options):
        result = digests_send(day=day)
        self.stdout.write(f"sent={result.sent} already={result.already} "
                          f"empty={result.empty} failed={result.failed}")
