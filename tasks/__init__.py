"""The Celery application: `celery -A tasks worker` / `celery -A tasks beat`."""
from .app import app

__all__ = ["app"]
