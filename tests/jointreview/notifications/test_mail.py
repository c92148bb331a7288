"""E-mail copies to the person (issue 10): each recipient's address in their language, their
choices respected, the organization's address as the fallback, exactly once per recipient."""
from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.urls import reverse

from jointreview.audit import mail as mail_service
from jointreview.audit.mail import notification_email_sweep
from jointreview.audit.notifications import NotificationKind as K
from jointreview.models import AuditEvent, NotificationDelivery, NotificationProfile
from jointreview.notifications import services as svc
from jointreview.notifications.kinds import EMAIL_DEFAULTS, kinds_for
from tests.factories import (
    AgencyFactory,
    CoordinatorFactory,
    LeadFactory,
    OwnerUserFactory,
    ReviewerFactory,
)
from tests.jointreview.notifications.conftest import send

pytestmark = pytest.mark.django_db


def _to(outbox) -> dict[str, object]:
    return {m.to[0]: m for m in outbox}


def test_each_member_gets_a_copy_in_their_language(mailbox):
    agency = AgencyFactory(email="office@agency.example")
    LeadFactory(organization=agency, email="zhang@agency.example")  # language empty: the centre's
    LeadFactory(organization=agency, email="li@agency.example", language="en")
    ReviewerFactory(organization=agency, email="wang@agency.example")  # a reviewer: not this kind by default
    LeadFactory(organization=agency, email="gone@agency.example", is_active=False)
    send(agency, K.ASSIGNMENT, params={"number": "JR-7", "workflow": "多图联审", "agency": "消防", "project": "P",
                                       "due": "2026-12-15", "round": 1})
    assert notification_email_sweep() == {"sent": 2, "failed": 0}
    sent = _to(mailbox)
    assert set(sent) == {"zhang@agency.example", "li@agency.example"}  # not the organization's address
    assert sent["zhang@agency.example"].subject == "新审查任务: JR-7 多图联审"
    assert sent["li@agency.example"].subject == "New assignment: JR-7 多图联审"
    assert "Dec. 15, 2026" in sent["li@agency.example"].body


def test_a_personal_notification_goes_to_that_person_only(mailbox):
    agency = AgencyFactory(email="office@agency.example")
    a = ReviewerFactory(organization=agency, email="a@agency.example", language="en")
    LeadFactory(organization=agency, email="lead@agency.example")
    send(agency, K.ASSIGNMENT_ASSIGNED, user=a, params={"role": "A", "number": "JR-1"})
    assert notification_email_sweep() == {"sent": 1, "failed": 0}
    assert [m.to for m in mailbox] == [["a@agency.example"]]
    assert mailbox[0].subject == "You are reviewer A: JR-1"


def test_the_organizations_address_is_the_fallback_when_no_member_has_one(mailbox):
    agency = AgencyFactory(email="office@agency.example")
    person = ReviewerFactory(organization=agency, language="en")  # no address
    send(agency, K.ASSIGNMENT, params={"number": "JR-2", "workflow": "W"})
    send(agency, K.ASSIGNMENT_ASSIGNED, user=person, params={"role": "B", "number": "JR-2"})
    assert notification_email_sweep() == {"sent": 2, "failed": 0}
    assert [m.to for m in mailbox] == [["office@agency.example"]] * 2
    assert mailbox[1].subject == "您被指派为B角: JR-2"  # the organization's address: the centre's language
    # nobody at all with an address: nothing to send, and the notification is done
    silent = send(AgencyFactory(), K.ASSIGNMENT, params={"number": "JR-3"})
    assert notification_email_sweep() == {"sent": 0, "failed": 0}
    silent.refresh_from_db()
    assert silent.emailed_at is not None


def test_choices_are_respected_and_the_fallback_does_not_override_them(mailbox, client):
    agency = AgencyFactory(email="office@agency.example")
    lead = LeadFactory(organization=agency, email="lead@agency.example")
    reviewer = ReviewerFactory(organization=agency, email="rev@agency.example")
    client.force_login(lead)
    # the lead turns every kind off; the reviewer turns "new assignment" on
    assert client.post(reverse("notifications:email"), {"kinds": []}).status_code == 302
    svc.notification_email_choose(actor=reviewer, kinds=[K.ASSIGNMENT])
    send(agency, K.ASSIGNMENT, params={"number": "JR-4"})
    assert notification_email_sweep() == {"sent": 1, "failed": 0}
    assert [m.to for m in mailbox] == [["rev@agency.example"]]
    # the in-app list still shows it to the lead
    assert "JR-4" in client.get(reverse("notifications:list")).content.decode()


def test_a_shared_address_gets_one_copy(mailbox):
    agency = AgencyFactory()
    LeadFactory(organization=agency, email="desk@agency.example")
    LeadFactory(organization=agency, email="DESK@agency.example")
    send(agency, K.ASSIGNMENT, params={"number": "JR-5"})
    assert notification_email_sweep() == {"sent": 1, "failed": 0}


def test_exactly_once_and_a_failure_retries_only_the_failed_copy(mailbox, monkeypatch):
    agency = AgencyFactory()
    LeadFactory(organization=agency, email="ok@agency.example")
    LeadFactory(organization=agency, email="bad@agency.example")
    n = send(agency, K.ASSIGNMENT, params={"number": "JR-6"})
    real = mail_service.send_mail

    def flaky(subject, body, sender, to):
        if to == ["bad@agency.example"]:
            raise OSError("mailbox unavailable")
        return real(subject, body, sender, to)

    monkeypatch.setattr(mail_service, "send_mail", flaky)
    assert notification_email_sweep() == {"sent": 1, "failed": 1}
    n.refresh_from_db()
    assert n.emailed_at is None
    monkeypatch.setattr(mail_service, "send_mail", real)
    assert notification_email_sweep() == {"sent": 1, "failed": 0}
    assert notification_email_sweep() == {"sent": 0, "failed": 0}
    assert sorted(m.to[0] for m in mailbox) == ["bad@agency.example", "ok@agency.example"]
    assert NotificationDelivery.objects.filter(notification=n).count() == 2


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_send_each_copy_once(mailbox, monkeypatch):
    """A sweep holding a notification (sending its mail) makes the other skip it (skip_locked)."""
    agency = AgencyFactory()
    LeadFactory(organization=agency, email="lead@agency.example")
    send(agency, K.ASSIGNMENT, params={"number": "JR-8"})
    real, inside, release = mail_service.send_mail, threading.Event(), threading.Event()

    def slow(*args, **kwargs):
        inside.set()
        release.wait(10)
        return real(*args, **kwargs)

    monkeypatch.setattr(mail_service, "send_mail", slow)
    results = {}

    def first():
        try:
            results["first"] = notification_email_sweep()
        finally:
            connection.close()

    thread = threading.Thread(target=first)
    thread.start()
    assert inside.wait(10)
    results["second"] = notification_email_sweep()  # the row is locked: skipped
    release.set()
    thread.join(10)
    assert results == {"first": {"sent": 1, "failed": 0}, "second": {"sent": 0, "failed": 0}}
    assert notification_email_sweep() == {"sent": 0, "failed": 0}
    assert [m.to for m in mailbox] == [["lead@agency.example"]]


# ----------------------------------------------------------------------------------------- preferences

def test_defaults_are_per_role():
    owner, reviewer, lead, coordinator = OwnerUserFactory(), ReviewerFactory(), LeadFactory(), CoordinatorFactory()
    assert K.CERTIFICATE in EMAIL_DEFAULTS[owner.role] and K.CALENDAR_MISSING not in kinds_for(owner)
    assert K.ASSIGNMENT_ASSIGNED in EMAIL_DEFAULTS[reviewer.role] and K.ASSIGNMENT not in EMAIL_DEFAULTS[reviewer.role]
    assert K.ASSIGNMENT in EMAIL_DEFAULTS[lead.role]
    assert K.PAUSE_REQUESTED in EMAIL_DEFAULTS[coordinator.role] and K.CERTIFICATE not in kinds_for(coordinator)


def test_the_settings_page_shows_the_defaults_and_saves_choices(en_client):
    reviewer = ReviewerFactory(email="rev@agency.example")
    en_client.force_login(reviewer)
    page = en_client.get(reverse("notifications:email")).content.decode()
    assert "Copies go to rev@agency.example" in page
    assert _checked(page, K.ASSIGNMENT_ASSIGNED)  # the reviewer's default
    assert not _checked(page, K.ASSIGNMENT)
    assert f'value="{K.CERTIFICATE}"' not in page  # an owner's kind is not offered to an agency
    response = en_client.post(reverse("notifications:email"), {"kinds": [K.ASSIGNMENT]}, follow=True)
    assert "Your e-mail choices are saved." in response.content.decode()
    profile = NotificationProfile.objects.get(user=reviewer)
    assert profile.email[K.ASSIGNMENT] is True and profile.email[K.ASSIGNMENT_ASSIGNED] is False
    event = AuditEvent.objects.get(verb="notification.email_choices")
    assert event.actor_id == reviewer.pk and event.after["email"][K.ASSIGNMENT] is True
    page = en_client.get(reverse("notifications:email")).content.decode()
    assert _checked(page, K.ASSIGNMENT) and not _checked(page, K.ASSIGNMENT_ASSIGNED)


def _checked(page: str, kind: str) -> bool:
    tag = page.split(f'value="{kind}"', 1)[1].split(">", 1)[0]
    return "checked" in tag


def test_a_kind_not_offered_is_refused_with_a_form_error(en_client):
    owner = OwnerUserFactory()
    en_client.force_login(owner)
    response = en_client.post(reverse("notifications:email"), {"kinds": [K.CALENDAR_MISSING, "nonsense"]})
    assert response.status_code == 400
    assert "is not one of the available choices" in response.content.decode()
    assert not NotificationProfile.objects.exists()
    from jointreview.services.errors import ServiceError

    with pytest.raises(ServiceError, match="Not a kind of notification you receive"):
        from django.utils import translation

        with translation.override("en"):
            svc.notification_email_choose(actor=owner, kinds=[K.CALENDAR_MISSING])


def test_one_run_goes_batch_after_batch_and_tries_each_notification_once(mailbox, monkeypatch):
    agency = AgencyFactory()
    LeadFactory(organization=agency, email="lead@agency.example")
    for i in range(5):
        send(agency, K.ASSIGNMENT, params={"number": f"JR-{i}"})

    def down(*args, **kwargs):
        raise OSError("smtp down")

    monkeypatch.setattr(mail_service, "send_mail", down)
    assert notification_email_sweep(batch=2) == {"sent": 0, "failed": 5}  # no endless retry within a run
    monkeypatch.undo()
    assert notification_email_sweep(batch=2) == {"sent": 5, "failed": 0}
    assert len(mailbox) == 5
