"""Settings modules: base (shared), dev (demo, SQLite by default), test (PostgreSQL), production."""
