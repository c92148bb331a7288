"""gunicorn for the web service (docker-compose's web, bench/load.py): sized for a small server of 2 cores that
also runs PostgreSQL, Redis, a Celery worker and beat.

- workers = cores + 1 (3 on 2 cores; GUNICORN_WORKERS overrides): the pages are CPU-bound Python (templates,
  ORM), so more processes than cores only add context switches and memory;
- ``gthread`` with 4 threads each: a request waiting on PostgreSQL, or on the deliberately slow password
  hash of a login (hashlib releases the GIL while it hashes), no longer holds a whole worker, so one slow
  login does not queue the pages behind it; 12 concurrent requests in all, 12 database connections at most
  (kept open between requests: CONN_MAX_AGE in the production settings, checked before reuse);
- timeout 30 s (a request is never meant to take longer: the broker is not in the request path), graceful
  timeout 30 s, keep-alive 5 s behind a proxy;
- each worker is replaced after 2,000 requests (+ up to 200 of jitter, so they do not all restart at once):
  a slow leak never grows unbounded.
"""
import os


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", _cores() + 1))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", 4))
timeout = 30
graceful_timeout = 30
keepalive = 5
max_requests = 2000
max_requests_jitter = 200
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-") or None
errorlog = "-"
