import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from casedesk.audit.checkpoints import checkpoint_dir, checkpoints_load
from casedesk.audit.selectors import verify_chain, verify_checkpoints


class Command(BaseCommand):
    help = ("Check the audit log's hash chain, and the checkpoints of the checkpoint "
            "directory (CASEDESK_AUDIT_CHECKPOINT_DIR) and of --checkpoint files. Exits 0 "
            "when intact, 1 naming the first bad entry (and the checkpoint that shows it).")

    def add_arguments(self, parser):
        parser.add_argument("--checkpoint", action="append", default=[], metavar="FILE",
                            help="a file of checkpoint lines written by audit_checkpoint; "
                                 "may be given more than once")
        parser.add_argument("--no-checkpoint-dir", action="store_true",
                            help="do not read the checkpoint directory (e.g. on a replica "
                                 "host that does not have it)")
        parser.add_argument("--batch", type=int, default=5000,
                            help="entries fetched per round trip (default 5000)")

    def handle(self, *args, **options):
        try:
            checkpoints = checkpoints_load([Path(path) for path in options["checkpoint"]])
            if not options["no_checkpoint_dir"]:
                checkpoints += checkpoints_load()
        except ValueError as error:
            raise CommandError(str(error)) from None

        ok, bad_seq, summary = verify_chain(batch=options["batch"])
        if ok and checkpoints:
            ok, bad_seq, matched = verify_checkpoints(checkpoints)
            summary = f"{summary}, {matched}" if ok else matched
        if not ok:
            self.stderr.write(f"audit chain broken at entry {bad_seq}: {summary}")
            sys.exit(1)
        if not checkpoints:
            self.stderr.write(f"warning: no checkpoints (none in {checkpoint_dir()}): a "
                              "truncated tail cannot be detected")
        self.stdout.write(f"audit chain intact: {summary}")
