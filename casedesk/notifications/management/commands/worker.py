"""The background worker: sends the notices outbox, beats for /health/, runs and restarts
``db_worker`` (the django-tasks tasks), and survives database restarts
(``notifications.worker``). Run one or more per installation (systemd: Restart=always)."""

from django.core.management.base import BaseCommand

from casedesk.notifications.worker import Worker


class Command(BaseCommand):
    help = "Send the notices outbox and supervise db_worker; survives database outages."

    def add_arguments(self, parser):
        parser.add_argument("--name", default=None,
                            help="this worker's name in the heartbeat (host:pid by default)")
        parser.add_argument("--interval", type=float, default=None,
                            help="seconds between rounds (CASEDESK_WORKER_INTERVAL)")
        parser.add_argument("--no-tasks", action="store_true",
                            help="do not run db_worker (another service runs it)")

    def handle(self, *args, name=None, interval=None, no_tasks=False, **options):
        Worker(name=name, interval=interval, tasks=not no_tasks).run()
