"""Group each office's near-identical appeals into campaigns (cases.campaigns)."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand
from django.utils import timezone

from casedesk.accounts.models import Office
from casedesk.cases.campaigns import THRESHOLD, campaigns_group, similarity_backfill


class Command(BaseCommand):
    help = "Group near-identical appeals (same letter, template with names changed) into campaigns."

    def add_arguments(self, parser):
        parser.add_argument("--office", help="office code (default: every office)")
        parser.add_argument("--days", type=int, default=None,
                            help="only appeals received in the last N days (default: all)")
        parser.add_argument("--threshold", type=float, default=THRESHOLD)
        parser.add_argument("--backfill", action="store_true",
                            help="first compute the signatures of appeals stored without one")

    def handle(self, *args, office=None, days=None, threshold=THRESHOLD, backfill=False,
               **options):
        if backfill:
            self.stdout.write(f"signatures computed: {similarity_backfill()}")
        offices = Office.objects.all() if office is None else Office.objects.filter(code=office)
        since = timezone.now() - dt.timedelta(days=days) if days else None
        for each in offices.order_by("code"):
            done = campaigns_group(office=each, since=since, threshold=threshold)
            self.stdout.write(f"{each.code}: {done.appeals} signatures, "
                              f"{done.campaigns_new} new campaigns, {done.joined} appeals joined")
