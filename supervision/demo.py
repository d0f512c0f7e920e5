"""Demo data for ``seed_demo``: the dashboard's summary tables built from the demo cases."""


def seed(*, stdout):
    from .summary import figures_refresh

    record = figures_refresh()
    stdout.write(
        f"supervision: figures refreshed ({record.stage_rows} stage rows, {record.case_rows} case rows)\n"
    )
