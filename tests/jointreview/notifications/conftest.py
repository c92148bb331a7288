"""Notifications of every audience, made through ``notify`` (as the services do)."""
from __future__ import annotations

import itertools

import pytest

from jointreview.audit.notifications import NotificationKind
from jointreview.audit.services import notify
from jointreview.models import Notification

_keys = itertools.count(1)


def send(org, kind=NotificationKind.SURVEY_REPORT, *, user=None, params=None, **links) -> Notification:
    """One notification to ``org`` (and ``user``), like a service would send it."""
    key = f"test-{next(_keys)}"
    notify(key=key, kind=kind, organization_id=org.pk, user=user, params=params or {"number": key}, **links)
    return Notification.objects.get(key=key)


@pytest.fixture
def mailbox(settings):
    from django.core import mail

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox = []
    return mail.outbox
