"""Minimal Django settings for the viewflow side of bench/peer_viewflow.py: viewflow's workflow app and
the flow of bench/peer/flows.py, on PostgreSQL (PEER_DATABASE_URL), nothing of jointreview."""
import os

import dj_database_url

SECRET_KEY = "bench-peer-viewflow-not-secret"  # noqa: S105 - a throwaway bench database
DEBUG = False
USE_TZ = True
TIME_ZONE = "Asia/Shanghai"
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "viewflow",
    "viewflow.workflow",
    "bench.peer",
]
DATABASES = {"default": dj_database_url.parse(
    os.environ.get("PEER_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/jointreview_bench_viewflow"))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
