from django.core.management.base import BaseCommand

from casedesk.stats.refresh import stats_refresh


class Command(BaseCommand):
    help = ("Rebuild the statistics tables from the cases (run daily, e.g. from cron; case "
            "moves also queue a rebuild through the task worker).")

    def handle(self, *args, **options):
        result = stats_refresh(trigger="command")
        rows = ", ".join(f"{name} {count}" for name, count in result.rows.items())
        self.stdout.write(f"Statistics refreshed in {result.seconds:.1f} s ({rows}).")
