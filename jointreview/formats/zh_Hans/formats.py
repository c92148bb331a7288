"""Simplified Chinese date formats of the pages (settings.FORMAT_MODULE_PATH); the rest is Django's own
zh_Hans locale. Short dates are numeric, year first (GB/T 7408: 2025-10-10), as on the centre's paper
forms; the long form is Django's (2025年10月10日). Issued documents (PDFs) format their own dates."""

SHORT_DATE_FORMAT = "Y-m-d"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
