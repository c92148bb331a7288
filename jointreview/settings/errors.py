"""Turn configuration and connection failures into one clear line naming the setting."""
from __future__ import annotations

import os
import sys


def _database_line(exc: BaseException) -> str:
    url = os.environ.get("DATABASE_URL", "(default)")
    reason = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
    return f"DATABASE_URL: cannot use the database at {url}: {reason}"


def run_with_clear_errors(argv: list[str]) -> None:
    from django.core.exceptions import ImproperlyConfigured

    try:
        from django.core.management import execute_from_command_line
    except ImportError as exc:
        raise ImportError(
            "Couldn't import Django. Run `make demo` or `make test`, which create .venv and install it."
        ) from exc
    try:
        execute_from_command_line(argv)
    except ImproperlyConfigured as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    except Exception as exc:
        from django.db import OperationalError as DjangoOperationalError

        if isinstance(exc, DjangoOperationalError):
            print(f"error: {_database_line(exc)}", file=sys.stderr)
            sys.exit(2)
        raise
