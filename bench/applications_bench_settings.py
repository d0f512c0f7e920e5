"""Settings of the applications API benchmark: the project's settings plus one bare JSON view to compare
against (bench/applications_bench_urls.py). Used only by bench/applications_api.py."""

from hhht_power.settings import *  # noqa: F403

ROOT_URLCONF = "applications_bench_urls"
LOGGING = {"version": 1, "disable_existing_loggers": True, "root": {"level": "ERROR", "handlers": []}}
