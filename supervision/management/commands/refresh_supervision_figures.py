from django.core.management.base import BaseCommand

from supervision.summary import figures_refresh, figures_refresh_changed


class Command(BaseCommand):
    help = (
        "Rebuild the supervision dashboard's summary tables in full; with --changed, count again only the "
        "cases changed since the last refresh (what the beat runs)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--changed", action="store_true", help="only the changed cases (the beat's job)")

    def handle(self, *args, **options):
        record = figures_refresh_changed() if options["changed"] else figures_refresh()
        counted = "every case" if record.cases is None else f"{record.cases} changed cases"
        self.stdout.write(
            f"figures refreshed in {record.seconds:.2f} s ({counted}): "
            f"{record.stage_rows} stage rows, {record.case_rows} case rows"
        )
