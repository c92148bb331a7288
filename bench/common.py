"""What the PostgreSQL benchmarks share: a database of their own, dropped and created for each run."""
from __future__ import annotations


def recreate_database(url: str) -> None:
    """Drop and create the database ``url`` names (connecting to the server's ``postgres`` database)."""
    import dj_database_url
    import psycopg

    cfg = dj_database_url.parse(url)
    conninfo = {k: v for k, v in {
        "host": cfg.get("HOST") or "127.0.0.1", "port": cfg.get("PORT") or 5432, "user": cfg.get("USER") or "postgres",
        "password": cfg.get("PASSWORD") or None, "dbname": "postgres",
    }.items() if v is not None}
    with psycopg.connect(**conninfo, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{cfg["NAME"]}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{cfg["NAME"]}"')


def setup_django() -> None:
    """Django set up (DJANGO_SETTINGS_MODULE and DATABASE_URL already in the environment) and migrated."""
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
