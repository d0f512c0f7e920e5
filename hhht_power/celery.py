import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hhht_power.settings")

app = Celery("hhht_power")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
