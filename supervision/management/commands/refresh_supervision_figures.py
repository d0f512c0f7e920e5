from django.core.management.base import BaseCommand

from supervision.summary import figures_refresh


class Command(BaseCommand):
    help = "Rebuild the supervision dashboard's summary tables (what the beat runs)."

    def handle(self, *args, **options):
        record = figures_refresh()
        self.stdout.write(
            f"figures refreshed in {record.seconds:.2f} s: "
            f"{record.stage_rows} stage rows, {record.case_rows} case rows"
        )
