"""The rows the data migrations seed (organisations and roles, the calendar, the 2020 policy).

A transactional test flushes every table when it ends, and Django's serialized rollback has proved
unreliable once a browser session is open in the same process; so transactional tests put these rows
back themselves, by running the very seed functions of the migrations.
"""

from importlib import import_module

SEEDS = [
    # (model whose emptiness says the seed is gone, migration module holding ``seed``)
    ("accounts.Organisation", "accounts.migrations.0002_seed_organisations_and_roles"),
    ("deadlines.CalendarDay", "deadlines.migrations.0002_seed_calendar"),
    ("deadlines.PolicyDocument", "deadlines.migrations.0003_seed_policy_hohhot_2020"),
    ("applications.PolicyParameter", "applications.migrations.0006_policy_parameters"),
    ("deadlines.PauseReason", "deadlines.migrations.0010_pause_reasons"),
]
# Later migrations' additions to the 2020 policy (idempotent), run again with it: (module, function).
POLICY_ADDITIONS = [
    ("deadlines.migrations.0009_seed_joint_step_rules", "seed"),
    ("deadlines.migrations.0012_design_warnings_to_coordinating_staff", "design_staff"),
]


def ensure_reference_data() -> None:
    from django.apps import apps
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()  # cached ids may name rows a flush removed
    for label, module in SEEDS:
        if not apps.get_model(label).objects.exists():
            import_module(module).seed(apps, None)
            if label == "deadlines.PolicyDocument":
                for addition, function in POLICY_ADDITIONS:
                    getattr(import_module(addition), function)(apps, None)
