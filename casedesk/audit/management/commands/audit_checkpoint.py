import json
from pathlib import Path

from django.core.management.base import BaseCommand

from casedesk.audit.checkpoints import FILE_NAME, checkpoint_dir, checkpoint_write
from casedesk.audit.selectors import checkpoint_current


class Command(BaseCommand):
    help = ("Append the audit chain's head as one JSON line {seq, hash, version, count, at, "
            "mac} to the checkpoint directory (CASEDESK_AUDIT_CHECKPOINT_DIR), or to "
            "--output, or print it with --print; keep it where the database's roles cannot "
            "write. audit_verify reads the directory.")

    def add_arguments(self, parser):
        parser.add_argument("--output", metavar="FILE",
                            help="append the line to this file instead of the directory's")
        parser.add_argument("--print", action="store_true",
                            help="print the line instead of appending it to a file")

    def handle(self, *args, **options):
        if options["print"]:
            self.stdout.write(json.dumps(checkpoint_current(), sort_keys=True))
            return
        path = Path(options["output"]) if options["output"] else checkpoint_dir() / FILE_NAME
        record = checkpoint_write(path)
        self.stdout.write(f"checkpoint of entry {record['seq']} appended to {path}")
