"""English date formats of the pages (settings.FORMAT_MODULE_PATH); the rest is Django's own en locale.
Short dates spell the month (10 Oct 2025), never the ambiguous 10/10/2025."""

SHORT_DATE_FORMAT = "j M Y"
SHORT_DATETIME_FORMAT = "j M Y H:i"
