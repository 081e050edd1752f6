from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from casedesk.accounts.models import Office
from casedesk.stats import report as reports


class Command(BaseCommand):
    help = ("Write the annual report of one office for one year as PDF and CSV "
            "(<office>-<year>-<language>.pdf/.csv) from the precomputed figures; run "
            "stats_refresh first for up-to-date figures.")

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True, help="the calendar year")
        parser.add_argument("--office", required=True, help="the office code, e.g. MSK")
        parser.add_argument("--language", choices=reports.LANGUAGES, default="ru",
                            help="the language of the report (default ru)")
        parser.add_argument("--output", default=".", help="the folder to write to")

    def handle(self, *args, year, office, language, output, **options):
        if not 1990 <= year <= 2100:
            raise CommandError(f"--year {year} is not a year casedesk can report on.")
        found = Office.objects.filter(code=office.strip().upper()).first()
        if found is None:
            known = ", ".join(Office.objects.order_by("code").values_list("code", flat=True))
            raise CommandError(f"No office with the code {office!r} (offices: "
                               f"{known or 'none'}).")
        folder = Path(output)
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CommandError(f"Cannot write to {folder}: {exc.strerror}.") from None
        report = reports.annual_report(office=found, year=year, language=language)
        stem = reports.file_stem(report)
        pdf = folder / f"{stem}.pdf"
        table = folder / f"{stem}.csv"
        pdf.write_bytes(reports.render_pdf(report))
        # With a byte order mark, so that spreadsheet programs read the Cyrillic right.
        table.write_text(reports.render_csv(report), encoding="utf-8-sig")
        if report.empty:
            self.stdout.write(f"No appeals in {year} for {found.code}: the report says so.")
        self.stdout.write(f"Wrote {pdf} and {table}.")
