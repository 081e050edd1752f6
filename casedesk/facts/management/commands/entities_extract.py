"""manage.py entities_extract --input FILE.jsonl --output FILE.jsonl [--no-ner]
(docs/facts.md): the facts of any texts, for scoring against a gold set.

Reads lines ``{"id": ..., "text": ...}`` and writes, in the same order, lines
``{"id": ..., "spans": [{"start", "end", "type", "text", "normal"}]}`` (character offsets
into the text). A bad line (not JSON, no id, text not a string) is reported on stderr by
its line number and skipped; the others are all written, and the command then exits with
status 1. Touches no database and records nothing: the texts are the caller's file."""

from __future__ import annotations

import json
import sys
import time

from django.core.management.base import BaseCommand, CommandError

from casedesk.facts.extract import extract


class Command(BaseCommand):
    help = ("Extract the facts (PER, LOC, ORG, UNIT, RANK, DATE, MONEY, FITNESS, LAW) of "
            "the texts of a JSON-lines file into another: one line per input line, with "
            "character offsets, type, text and normal form of each span.")

    def add_arguments(self, parser):
        parser.add_argument("--input", required=True,
                            help='JSON lines {"id": ..., "text": ...} ("-": stdin)')
        parser.add_argument("--output", required=True,
                            help='JSON lines {"id": ..., "spans": [...]} ("-": stdout)')
        parser.add_argument("--no-ner", action="store_true",
                            help="rules only (no natasha model: no PER, LOC, ORG)")

    def handle(self, *args, input, output, no_ner=False, **options):
        started = time.perf_counter()
        bad = written = 0
        source = sys.stdin if input == "-" else open(input, encoding="utf-8")  # noqa: SIM115
        target = sys.stdout if output == "-" else open(output, "w", encoding="utf-8")  # noqa: SIM115
        try:
            for number, line in enumerate(source, start=1):
                if not line.strip():
                    continue
                try:
                    item = json.loads(line)
                    if not isinstance(item, dict) or "id" not in item:
                        raise ValueError("an object with an id is expected")
                    text = item.get("text")
                    if not isinstance(text, str):
                        raise ValueError("text must be a string")
                except ValueError as error:  # json.JSONDecodeError is a ValueError
                    self.stderr.write(f"line {number}: skipped: {error}")
                    bad += 1
                    continue
                spans = [span.as_dict() for span in extract(text, ner=not no_ner)]
                target.write(json.dumps({"id": item["id"], "spans": spans},
                                        ensure_ascii=False) + "\n")
                written += 1
        finally:
            if source is not sys.stdin:
                source.close()
            if target is not sys.stdout:
                target.close()
        seconds = time.perf_counter() - started
        self.stderr.write(f"{written} texts written, {bad} bad lines skipped "
                          f"({seconds:.1f} s)")
        if bad:
            raise CommandError(f"{bad} bad lines skipped")
