"""``manage.py keys_rotate``: casedesk.people.lifecycle.keys, from the command line."""

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from casedesk.audit.operator import add_operator_argument, command_operator
from casedesk.people.lifecycle.keys import keys_rotate


class Command(BaseCommand):
    help = "Re-wrap every data key under the current master key, in batches (online)."

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=1000,
                            help="data keys per transaction (default 1000)")
        add_operator_argument(parser)

    def handle(self, *args, batch=1000, operator, **options):
        if batch < 1:
            raise CommandError("--batch must be at least 1")
        with command_operator(operator):
            self._rotate(batch)

    def _rotate(self, batch):
        def started(count, target):
            self.stdout.write(f"{count} data key(s) to re-wrap under the master key {target}")

        def progress(rewrapped):
            self.stdout.write(f"  {rewrapped} re-wrapped")

        try:
            run = keys_rotate(batch=batch, started=started, progress=progress)
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"{run.rewrapped} data key(s) re-wrapped under {run.target}; "
                          f"{run.remaining} still under an older master key")
        if run.remaining:
            self.stderr.write("some data keys were locked or added under an old master key "
                              "meanwhile: run keys_rotate again before removing it")
