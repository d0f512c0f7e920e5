import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hhht_power.settings")

app = Celery("hhht_power")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.after_setup_logger.connect
@signals.after_setup_task_logger.connect
def _mask_personal_data(logger=None, **kwargs):
    # The worker's own log handlers mask ID and phone numbers as the web's do (settings.LOGGING).
    from accounts.masking import mask_handlers

    mask_handlers(logger)
