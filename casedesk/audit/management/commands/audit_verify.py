import sys

from django.core.management.base import BaseCommand, CommandError

from casedesk.audit.selectors import checkpoints_read, verify_chain, verify_checkpoints


class Command(BaseCommand):
    help = ("Check the audit log's hash chain (and, with --checkpoint, the checkpoints "
            "stored elsewhere). Exits 0 when intact, 1 naming the first bad entry.")

    def add_arguments(self, parser):
        parser.add_argument("--checkpoint", action="append", default=[], metavar="FILE",
                            help="a file of checkpoint lines written by audit_checkpoint; "
                                 "may be given more than once")
        parser.add_argument("--batch", type=int, default=5000,
                            help="entries fetched per round trip (default 5000)")

    def handle(self, *args, **options):
        checkpoints = []
        for path in options["checkpoint"]:
            try:
                with open(path, encoding="utf-8") as file:
                    checkpoints.extend(checkpoints_read(file))
            except (OSError, ValueError) as error:
                raise CommandError(f"cannot read checkpoints from {path}: {error}") from None

        ok, bad_seq, summary = verify_chain(batch=options["batch"])
        if ok and checkpoints:
            ok, bad_seq, matched = verify_checkpoints(checkpoints)
            summary = f"{summary}, {matched}" if ok else matched
        if not ok:
            self.stderr.write(f"audit chain broken at entry {bad_seq}: {summary}")
            sys.exit(1)
        self.stdout.write(f"audit chain intact: {summary}")
