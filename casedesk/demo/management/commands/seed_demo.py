import os
import platform
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from casedesk.cases.models import Case
from casedesk.demo.generator import (
    DEMO_PASSWORD,
    answer_letters,
    appeals_to_register,
    applicant_replies,
    ensure_reference,
    facts_demo,
    generate,
    one_man_in_two_offices,
)
from casedesk.triage.demo import triage_demo


class Command(BaseCommand):
    help = "Create demo offices, staff logins and N realistic cases (bulk inserts)."

    def add_arguments(self, parser):
        parser.add_argument("--cases", type=int, default=300, help="how many cases to add")
        parser.add_argument("--seed", type=int, default=2026, help="random seed")
        parser.add_argument("--batch", type=int, default=1000, help="cases per transaction")
        parser.add_argument("--letters", type=int, default=12,
                            help="make the letters (PDF, DOCX) of this many latest answers")
        parser.add_argument("--replies", type=int, default=6,
                            help="applicants of this many cases awaiting information answer "
                                 "(through the portal's service: their caseworkers see it)")
        parser.add_argument("--if-empty", action="store_true",
                            help="do nothing if the database already has cases")

    def handle(self, *args, cases, seed, batch, if_empty, letters=12, replies=6, **options):
        if settings.ENV == "production":
            # The demo's staff logins share a published password (README): never on a
            # real installation (issue 15, finding 10).
            raise CommandError(
                "seed_demo refuses to run with DJANGO_ENV=production: it creates staff "
                "accounts whose password is published in the README. Demo data belongs on "
                "a development or test installation only.")
        if cases < 0:
            raise CommandError("--cases must be zero or more")
        if if_empty and Case.objects.exists():
            self.stdout.write("The database already has cases; no demo data added.")
        else:
            started = time.perf_counter()
            counts = generate(count=cases, seed=seed, batch=batch,
                              progress=self._progress(cases))
            made = answer_letters(limit=letters)
            replied = applicant_replies(limit=replies)
            one_man = one_man_in_two_offices() if cases else None
            # Web appeals for each office's desk (issue 19), then the facts of the newest.
            waiting = appeals_to_register() if cases else []
            facts = facts_demo() if cases else None  # issue 19: facts from the text
            # Issue 19: the appeals waiting to be registered get their category suggestions
            # (a model trained on the demo's registered cases where the demo is small).
            triaged = triage_demo(train=cases <= 20000) if cases else ""
            seconds = time.perf_counter() - started
            rate = counts.get("cases", 0) / seconds if seconds else 0
            self.stdout.write(
                f"Added {counts.get('cases', 0)} cases, {counts.get('appeals', 0)} appeals, "
                f"{counts.get('events', 0)} events, {counts.get('deadlines', 0)} deadlines, "
                f"{counts.get('answers', 0)} answers ({made} with their letters), "
                f"{replied} replies from applicants in "
                f"{seconds:.1f} s ({rate:.0f} cases/s on {os.cpu_count()} CPUs, "
                f"{platform.machine()})."
            )
            if waiting:
                self.stdout.write(f"{len(waiting)} web appeals wait to be registered, a few "
                                  f"in each office: {', '.join(waiting)}.")
            if triaged:
                self.stdout.write(triaged)
            if one_man:
                self.stdout.write(
                    "One man in two offices (the person page; his father's case {father} "
                    "is a second record of him, to merge): cases {mother} and {wife}."
                    .format(**one_man))
            if facts:
                self.stdout.write(
                    "Facts from the text: {facts} found in the newest appeals; case {case} "
                    "names a unit its service member's record lacks.".format(**facts))
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for username, role, office in ensure_reference():
            self.stdout.write(f"  {username:<16} {role:<20} office {office}")

    def _progress(self, total):
        step = max(total // 10, 10000)

        def report(done):
            if done % step == 0 or done == total:
                self.stderr.write(f"  {done}/{total} cases")

        return report
