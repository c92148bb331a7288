"""The supervision area has no API: its records are answered on the pages (supervision/views.py).
This module exists because every area has the same layers (.importlinter)."""
