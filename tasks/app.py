import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jointreview.settings.dev")

app = Celery("jointreview")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Tasks live in this package's modules (not in the Django apps): import them explicitly.
app.autodiscover_tasks(lambda: ["tasks"], related_name="jobs")

from .schedule import BEAT_SCHEDULE  # noqa: E402

app.conf.beat_schedule = BEAT_SCHEDULE
