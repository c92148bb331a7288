import os

from celery import Celery
from django.db import InterfaceError as DjangoInterfaceError
from django.db import OperationalError as DjangoOperationalError
from kombu.exceptions import OperationalError as BrokerOperationalError

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jointreview.settings.dev")

app = Celery("jointreview")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Tasks live in this package's modules (not in the Django apps): import them explicitly.
app.autodiscover_tasks(lambda: ["tasks"], related_name="jobs")

from .schedule import BEAT_SCHEDULE  # noqa: E402

app.conf.beat_schedule = BEAT_SCHEDULE

# What ``autoretry_for`` retries: only transient errors (database or broker connection); a
# programming error fails at once (and the sweeps decide).
TRANSIENT_ERRORS = (DjangoOperationalError, DjangoInterfaceError, BrokerOperationalError, ConnectionError)
