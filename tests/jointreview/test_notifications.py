"""Notifications are stored as a kind and parameters and read in the reader's language; the e-mail
copy goes out in the recipient's language (jointreview/audit/notifications.py, audit/mail.py)."""
from __future__ import annotations

from datetime import date

import pytest
from django.core import mail
from django.utils import translation

from jointreview.audit.mail import notification_email_sweep
from jointreview.audit.notifications import TEXTS, NotificationKind
from jointreview.audit.services import notify, notify_centre
from jointreview.models import Notification
from tests.factories import AgencyFactory, CentreFactory, ReviewerFactory

pytestmark = pytest.mark.django_db


def _resumed(org, **extra):
    notify(key="pause-1-ended", kind=NotificationKind.PAUSE_ENDED, organization_id=org.pk,
           params={"number": "JR-1", "agency": "消防救援支队", "on": date(2026, 12, 1), "due": date(2026, 12, 15)},
           **extra)
    return Notification.objects.get(key="pause-1-ended")


def test_every_kind_has_its_texts():
    assert set(TEXTS) == set(NotificationKind.values)


def test_a_kind_that_is_not_listed_is_refused():
    org = AgencyFactory()
    with pytest.raises(ValueError, match="unknown notification kind"):
        notify(key="x", kind="clock_purple", organization_id=org.pk, params={})
    assert not Notification.objects.exists()


def test_one_notification_reads_in_each_language_with_localised_dates():
    n = _resumed(AgencyFactory())
    assert n.params == {"number": "JR-1", "agency": "消防救援支队", "on": "2026-12-01", "due": "2026-12-15"}
    with translation.override("zh-hans"):
        subject, body = n.render()
        assert subject == "恢复计时: JR-1 / 消防救援支队"
        assert "2026年12月15日" in body
    with translation.override("en"):
        subject, body = n.render()
        assert subject == "Clock resumed: JR-1 / 消防救援支队"
        assert "Dec. 15, 2026" in body and "年" not in body.replace("消防", "")
    # the admin's list and str() follow the active language
    with translation.override("en"):
        assert str(n) == "Clock resumed: JR-1 / 消防救援支队"


def test_a_persons_note_is_shown_as_written_below_the_text():
    org = AgencyFactory()
    notify(key="pause-2-refused", kind=NotificationKind.PAUSE_REFUSED, organization_id=org.pk,
           params={"number": "JR-2", "note": "请先补充检测委托书"})
    n = Notification.objects.get(key="pause-2-refused")
    with translation.override("en"):
        assert n.render() == ("Pause refused: JR-2", "请先补充检测委托书")


def test_notify_is_idempotent_by_key():
    org = AgencyFactory()
    assert notify(key="k", kind=NotificationKind.SURVEY_REPORT, organization_id=org.pk, params={"number": "A"})
    assert not notify(key="k", kind=NotificationKind.SURVEY_REPORT, organization_id=org.pk, params={"number": "B"})
    assert Notification.objects.get(key="k").params == {"number": "A"}


def test_notify_centre_tells_each_active_centre_once():
    first, second = CentreFactory(), CentreFactory()
    CentreFactory(is_active=False)
    assert notify_centre(key="calendar-missing-2031", kind=NotificationKind.CALENDAR_MISSING, params={"year": 2031}) == 2
    assert notify_centre(key="calendar-missing-2031", kind=NotificationKind.CALENDAR_MISSING, params={"year": 2031}) == 0
    assert set(Notification.objects.values_list("organization_id", flat=True)) == {first.pk, second.pk}


def test_the_email_copy_is_in_the_recipients_language(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    agency = AgencyFactory(email="office@agency.example")
    english_reader = ReviewerFactory(organization=agency, email="li@agency.example", language="en")
    office_only = AgencyFactory(email="office@agency.example")  # no member has an address
    ReviewerFactory(organization=office_only)
    _resumed(office_only)  # to the organization's address: the centre's default language
    notify(key="assigned-A", kind=NotificationKind.ASSIGNMENT_ASSIGNED, organization_id=agency.pk,
           user=english_reader, params={"role": "A", "number": "JR-9"})
    with translation.override("en"):  # whatever language the sweep runs in
        assert notification_email_sweep() == {"sent": 2, "failed": 0}
    sent = {m.to[0]: m for m in mail.outbox}
    assert sent["office@agency.example"].subject == "恢复计时: JR-1 / 消防救援支队"
    assert "2026年12月15日" in sent["office@agency.example"].body
    assert sent["li@agency.example"].subject == "You are reviewer A: JR-9"
