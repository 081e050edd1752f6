"""Send the due notices of the outbox once and exit (the worker does this every second;
this is for an operator, or a timer where no worker runs)."""

from django.core.management.base import BaseCommand

from casedesk.notifications.outbox import outbox_send


class Command(BaseCommand):
    help = "Send the notices outbox's due rows once."

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=1000)

    def handle(self, *args, limit=1000, **options):
        result = outbox_send(limit=limit, worker="notices_send")
        self.stdout.write(f"sent={result.sent} no_address={result.skipped} "
                          f"retry={result.retry} failed={result.failed}")
