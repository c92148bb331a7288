"""The notification centre (issue 10): whose notifications a person sees, read state per person,
the unread count in the header, marking read, the links per role, the API."""
from __future__ import annotations

import pytest
from django.urls import reverse

from jointreview import policy
from jointreview.audit.notifications import NotificationKind as K
from jointreview.models import AuditEvent, NotificationRead
from jointreview.notifications import selectors as sel
from jointreview.notifications import services as svc
from tests.factories import (
    AgencyFactory,
    ApplicationFactory,
    AssignmentFactory,
    CentreAdminFactory,
    CentreFactory,
    CoordinatorFactory,
    LeadFactory,
    OwnerUserFactory,
    ProjectFactory,
    ReviewerFactory,
)
from tests.jointreview.notifications.conftest import send

pytestmark = pytest.mark.django_db


@pytest.fixture
def agency():
    """An agency with a lead and two reviewers, and a second agency."""
    org = AgencyFactory()
    return {"org": org, "lead": LeadFactory(organization=org), "a": ReviewerFactory(organization=org),
            "b": ReviewerFactory(organization=org), "other": ReviewerFactory(organization=AgencyFactory())}


def _ids(user, **kw) -> list[int]:
    return [n.pk for n in sel.notification_list(user, **kw)]


# ------------------------------------------------------------------------------------------ who sees what

def test_org_wide_notifications_reach_every_member_personal_ones_only_their_person(agency):
    everyone = send(agency["org"])
    for_a = send(agency["org"], K.ASSIGNMENT_ASSIGNED, user=agency["a"], params={"role": "A", "number": "JR-1"})
    elsewhere = send(agency["other"].organization)
    assert _ids(agency["a"]) == [for_a.pk, everyone.pk]  # newest first
    assert _ids(agency["b"]) == [everyone.pk]
    assert _ids(agency["lead"]) == [everyone.pk]  # the lead does not read a reviewer's personal ones
    assert _ids(agency["other"]) == [elsewhere.pk]
    assert _ids(CoordinatorFactory()) == []  # the centre reads everything, but not others' notifications


def test_nobody_opens_or_marks_anothers_notification_404_alike(client, agency):
    for_a = send(agency["org"], K.ASSIGNMENT_ASSIGNED, user=agency["a"], params={"role": "A", "number": "JR-1"})
    client.force_login(agency["b"])
    for name in ("notifications:open", "notifications:read"):
        assert client.post(reverse(name, args=[for_a.pk])).status_code == 404
        assert client.post(reverse(name, args=[for_a.pk + 1000])).status_code == 404  # missing: the same
    assert client.post(f"/api/notifications/{for_a.pk}/read/").status_code == 404
    assert not NotificationRead.objects.exists()
    assert sel.unread_count(agency["a"]) == 1


def test_a_person_moved_to_another_organization_no_longer_sees_the_old_ones(agency):
    send(agency["org"])
    send(agency["org"], K.ASSIGNMENT_ASSIGNED, user=agency["b"], params={"role": "B", "number": "JR-1"})
    mover = agency["b"]
    mover.organization = AgencyFactory()
    mover.save()
    assert _ids(mover) == []


# ------------------------------------------------------------------------------------------- read state

def test_reading_an_org_wide_notification_marks_it_read_for_that_person_only(client, agency):
    n = send(agency["org"])
    client.force_login(agency["a"])
    assert client.post(reverse("notifications:read", args=[n.pk])).status_code == 302
    assert sel.unread_count(agency["a"]) == 0
    assert sel.unread_count(agency["b"]) == 1 and sel.unread_count(agency["lead"]) == 1
    # once is enough: a second click changes nothing and writes no second audit event
    assert svc.notification_mark_read(actor=agency["a"], notification=n) is False
    events = AuditEvent.objects.filter(verb="notification.read", target_id=str(n.pk))
    assert [(e.actor_id, e.after) for e in events] == [(agency["a"].pk, {"read": True})]


def test_mark_all_read_is_per_person_and_new_ones_are_unread_again(client, agency):
    first, second = send(agency["org"]), send(agency["org"])
    svc.notification_mark_read(actor=agency["a"], notification=first)
    client.force_login(agency["a"])
    response = client.post(reverse("notifications:read_all"), HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert "1 notification marked read." in response.content.decode()
    assert sel.unread_count(agency["a"]) == 0 and sel.unread_count(agency["b"]) == 2
    assert not NotificationRead.objects.filter(user=agency["a"]).exists()  # the mark replaces single reads
    event = AuditEvent.objects.get(verb="notification.read_all")
    assert event.after == {"read_upto": second.pk, "unread": 1}
    third = send(agency["org"])
    assert _unread_ids(agency["a"]) == [third.pk]
    assert svc.notification_mark_all_read(actor=agency["b"]) == 3


def _unread_ids(user):
    return [n.pk for n in sel.notification_list(user, unread_only=True)]


def test_mark_read_needs_post_and_csrf(agency):
    from django.test import Client

    n = send(agency["org"])
    client = Client(enforce_csrf_checks=True)
    client.force_login(agency["a"])
    assert client.get(reverse("notifications:read", args=[n.pk])).status_code == 405
    assert client.post(reverse("notifications:read", args=[n.pk])).status_code == 403  # no CSRF token
    assert client.post(reverse("notifications:read_all")).status_code == 403
    assert sel.unread_count(agency["a"]) == 1


# -------------------------------------------------------------------------------------------- the header

def test_the_header_shows_the_unread_count_and_it_drops(client, agency):
    for _ in range(3):
        send(agency["org"])
    client.force_login(agency["a"])
    page = client.get(reverse("home")).content.decode()
    assert 'id="unread-count"' in page and ">3</span>" in page
    client.post(reverse("notifications:read_all"))
    page = client.get(reverse("home")).content.decode()
    assert 'id="notifications-link"' in page and 'id="unread-count"' not in page


def test_the_count_stops_at_99_plus(client, agency):
    from jointreview.models import Notification

    Notification.objects.bulk_create([
        Notification(key=f"bulk-{i}", organization=agency["org"], kind=K.SURVEY_REPORT, params={"number": i})
        for i in range(sel.UNREAD_CAP + 5)])
    assert sel.unread_count(agency["a"]) == sel.UNREAD_CAP
    client.force_login(agency["a"])
    assert ">99+</span>" in client.get(reverse("home")).content.decode()


def test_the_count_is_one_query(agency, django_assert_num_queries):
    send(agency["org"])
    with django_assert_num_queries(1):
        assert sel.unread_count(agency["a"]) == 1


# -------------------------------------------------------------------------------------------- the list

def test_the_list_newest_first_unread_highlighted_and_filtered(en_client, agency):
    old, new = send(agency["org"], params={"number": "JR-OLD"}), send(agency["org"], params={"number": "JR-NEW"})
    svc.notification_mark_read(actor=agency["a"], notification=old)
    en_client.force_login(agency["a"])
    page = en_client.get(reverse("notifications:list")).content.decode()
    assert page.index("JR-NEW") < page.index("JR-OLD")
    assert page.count('class="notification unread"') == 1
    assert f'data-id="{new.pk}"' in page.split('class="notification unread"')[1].split("</li>")[0]
    unread = en_client.get(reverse("notifications:list") + "?unread=1").content.decode()
    assert "JR-NEW" in unread and "JR-OLD" not in unread


def test_a_bad_filter_is_told_and_ignored_on_the_page_and_400_in_the_api(en_client, agency):
    send(agency["org"], params={"number": "JR-1"})
    en_client.force_login(agency["a"])
    response = en_client.get(reverse("notifications:list") + "?unread=maybe&page=zz")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Use 1 (unread only) or 0 (all)." in page and "JR-1" in page
    api = en_client.get("/api/notifications/?unread=maybe")
    assert api.status_code == 400 and api.json()["fields"]["unread"]


def test_the_list_is_paginated(client, agency):
    from jointreview.models import Notification
    from jointreview.notifications.views import PAGE_SIZE

    Notification.objects.bulk_create([
        Notification(key=f"bulk-{i}", organization=agency["org"], kind=K.SURVEY_REPORT, params={"number": f"N{i}"})
        for i in range(PAGE_SIZE + 3)])
    client.force_login(agency["a"])
    first = client.get(reverse("notifications:list"))
    assert len(first.context["rows"]) == PAGE_SIZE
    assert first.context["page"].has_next and not first.context["page"].has_previous
    second = client.get(reverse("notifications:list") + "?page=2")
    assert len(second.context["rows"]) == 3 and not second.context["page"].has_next
    assert 'href="?page=1"' in second.content.decode()
    assert len(client.get(reverse("notifications:list") + "?page=-1").context["rows"]) == PAGE_SIZE


@pytest.mark.parametrize("n", [3, 20])
def test_the_list_query_count_is_constant(client, django_assert_num_queries, n):
    """An agency member's list with links to assignments (grants loaded once for the page)."""
    lead = LeadFactory()
    for _ in range(n):
        a = AssignmentFactory(agency=lead.organization)
        policy.grant("jointreview.view_assignment", lead.organization, a)
        send(lead.organization, K.ASSIGNMENT, application=a.application, assignment=a)
    client.force_login(lead)
    client.get(reverse("notifications:list"))  # warm the session
    # session, user, organization (header), unread count (header), rows (no count of every
    # notification), grants on the assignments, grants on the applications
    with django_assert_num_queries(7):
        response = client.get(reverse("notifications:list"))
    assert len(response.context["rows"]) == n
    assert all(row.target for row in response.context["rows"])


# ------------------------------------------------------------------------------------------ links per role

def _target(user, n):
    return sel.notification_target(user, n)


def test_links_lead_each_reader_to_their_page(agency):
    owner = OwnerUserFactory()
    app = ApplicationFactory(project=ProjectFactory(owner=owner.organization))
    a = AssignmentFactory(application=app, round__application=app, agency=agency["org"])
    policy.grant("jointreview.view_assignment", agency["org"], a)
    policy.grant("jointreview.view_application", agency["org"], app)
    centre = CentreFactory()
    coordinator = CoordinatorFactory(organization=centre)

    accepted = send(owner.organization, K.ACCEPTED, application=app)
    assert _target(owner, accepted) == reverse("intake:application_detail", args=[app.pk])
    notice = send(owner.organization, K.JOINT_NOTICE, application=app)
    assert _target(owner, notice) == reverse("review:application_rounds", args=[app.pk])  # where they answer
    assigned = send(agency["org"], K.ASSIGNMENT, application=app, assignment=a)
    assert _target(agency["a"], assigned) == reverse("review:assignment", args=[a.pk])
    about_app = send(agency["org"], K.SURVEY_REPORT, application=app)
    assert _target(agency["a"], about_app) == reverse("intake:application_detail", args=[app.pk])
    pause = send(centre, K.PAUSE_REQUESTED, application=app, assignment=a)
    assert _target(coordinator, pause) == reverse("review:coordination")
    red = send(centre, K.CLOCK_RED, application=app, assignment=a)
    assert _target(coordinator, red) == reverse("intake:application_detail", args=[app.pk])
    calendar = send(centre, K.CALENDAR_MISSING, params={"year": 2027})
    assert _target(CentreAdminFactory(organization=centre), calendar) == reverse("clocks:dashboard")


def test_no_link_where_the_reader_may_not_open_the_object(client, agency):
    """An assignment or application the agency holds no grant on: no link (never a 404 trap)."""
    a = AssignmentFactory(agency=agency["org"])
    n = send(agency["org"], K.ASSIGNMENT, application=a.application, assignment=a)
    assert _target(agency["a"], n) is None
    client.force_login(agency["a"])
    page = client.get(reverse("notifications:list")).content.decode()
    assert reverse("notifications:open", args=[n.pk]) not in page and "notification-subject" in page
    # opening it anyway marks it read and lands on the list
    response = client.post(reverse("notifications:open", args=[n.pk]))
    assert response.status_code == 302 and response.url == reverse("notifications:list")
    assert sel.unread_count(agency["a"]) == 0


def test_opening_marks_read_and_goes_to_the_page(client):
    owner = OwnerUserFactory()
    app = ApplicationFactory(project=ProjectFactory(owner=owner.organization))
    n = send(owner.organization, K.ACCEPTED, application=app)
    client.force_login(owner)
    response = client.post(reverse("notifications:open", args=[n.pk]))
    assert response.status_code == 302 and response.url == reverse("intake:application_detail", args=[app.pk])
    assert client.get(response.url).status_code == 200  # the link is not a trap
    assert sel.unread_count(owner) == 0
    colleague = OwnerUserFactory(organization=owner.organization)
    assert sel.unread_count(colleague) == 1


def test_a_person_is_notified_as_a_member_of_their_organization(agency):
    with pytest.raises(ValueError, match="not a member of organization"):
        send(AgencyFactory(), K.CLOCK_RED, user=agency["a"])


def test_notify_to_a_person_works_for_escalation(agency):
    """10b's escalation sends ``notify(..., user=...)`` to one person: theirs alone, e-mailed to them."""
    n = send(agency["org"], K.CLOCK_RED, user=agency["lead"], params={"what": "JR-9", "due": "2026-12-01"})
    assert _ids(agency["lead"]) == [n.pk] and _ids(agency["a"]) == []
    assert sel.unread_count(agency["lead"]) == 1


# ------------------------------------------------------------------------------------------------ the API

def test_the_api_lists_and_marks_read(client, agency):
    for_a = send(agency["org"], K.ASSIGNMENT_ASSIGNED, user=agency["a"], params={"role": "A", "number": "JR-1"})
    everyone = send(agency["org"])
    client.force_login(agency["a"])
    body = client.get("/api/notifications/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert [r["id"] for r in body["results"]] == [everyone.pk, for_a.pk]
    row = body["results"][1]
    assert row["subject"] == "You are reviewer A: JR-1" and row["unread"] and row["personal"]
    assert client.post(f"/api/notifications/{everyone.pk}/read/").json() == {"id": everyone.pk, "unread": False}
    assert [r["id"] for r in client.get("/api/notifications/?unread=1").json()["results"]] == [for_a.pk]
    assert sel.unread_count(agency["b"]) == 1  # the colleague's state is untouched
    assert client.post("/api/notifications/read-all/").json() == {"marked": 1, "unread": 0}
    client.logout()
    assert client.get("/api/notifications/").status_code == 403
