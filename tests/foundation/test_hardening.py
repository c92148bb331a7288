"""Hardening (issue 8), signing in: login lockouts (django-axes) and lifting them, the API's authentication
and throttles, the idle session timeout, `next=` redirects, and the API docs behind a login.

Messages are read in English (Accept-Language: en): the zh-Hans catalogue of the new strings is merged
separately, and the Chinese page must say the same thing."""
from __future__ import annotations

import base64
import datetime

import pytest
from axes.models import AccessAttempt
from django.contrib.sessions.models import Session
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone, translation
from rest_framework.authtoken.models import Token

from jointreview.accounts.logins import login_lockout_lift
from jointreview.logins import client_ip
from jointreview.models import AuditEvent
from jointreview.services.errors import PermissionDeniedError
from jointreview.views.common import safe_next
from tests.factories import PASSWORD, CentreAdminFactory, CoordinatorFactory, OwnerUserFactory

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


@pytest.fixture
def en():
    """A browser that asks for English."""
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def fail_login(client, username, ip, password="wrong-password"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip)


def logs_in(username, ip, password=PASSWORD) -> bool:
    response = Client().post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip)
    return response.status_code == 302


# ------------------------------------------------------------------------------------------ lockouts


def test_five_failures_for_one_login_name_from_anywhere_lock_that_name(en, settings):
    assert settings.AXES_FAILURE_LIMIT == 5 and settings.AXES_COOLOFF_TIME == datetime.timedelta(minutes=15)
    alice = OwnerUserFactory(username="alice")
    for i in range(4):  # four addresses, one failure each: still the login form
        assert fail_login(en, "alice", f"10.0.0.{i + 1}").status_code == 200
    fifth = fail_login(en, "alice", "10.0.0.5")
    assert fifth.status_code == 429
    assert "registration/lockout.html" in [t.name for t in fifth.templates]
    page = fifth.content.decode()
    assert "Too many failed logins" in page and "Try again in 15 minutes" in page
    assert "<footer>" in page  # the site layout
    assert "no-store" in fifth["Cache-Control"]
    # the right password, from an address never seen, is refused while the name is locked
    response = en.post(LOGIN, {"username": "alice", "password": PASSWORD}, REMOTE_ADDR="10.9.9.9")
    assert response.status_code == 429 and "_auth_user_id" not in en.session
    # other people, even from the addresses alice's name was tried from, are not affected
    assert logs_in(CoordinatorFactory().username, "10.0.0.5")
    assert alice.pk


def test_five_failures_from_one_address_lock_the_address_for_every_name(en):
    bob = OwnerUserFactory(username="bob")
    for name in ["admin", "root", "test", "guest"]:
        assert fail_login(en, name, "192.0.2.7").status_code == 200
    assert fail_login(en, "operator", "192.0.2.7").status_code == 429
    assert not logs_in("bob", "192.0.2.7")  # the right password, from the locked address
    assert logs_in("bob", "192.0.2.8")  # the same person from elsewhere
    assert bob.pk


def test_a_lockout_is_audited_once_naming_the_login_and_the_address(en):
    carol = OwnerUserFactory(username="carol")
    for _ in range(7):  # two more failures during the lockout add nothing to the audit
        fail_login(en, "carol", "198.51.100.3")
    events = list(AuditEvent.objects.filter(verb="auth.lockout"))
    assert len(events) == 1
    event = events[0]
    assert (event.target_type, event.target_id, event.actor) == ("projects.User", str(carol.pk), None)
    assert "carol" in event.note and "198.51.100.3" in event.note
    assert event.after["locked"] == ["username", "ip_address"] and event.after["limit"] == 5


def test_a_lockout_of_a_name_nobody_has_is_audited_without_a_user():
    client = Client()
    for i in range(5):
        fail_login(client, "nobody-by-this-name", f"203.0.113.{i + 1}")
    event = AuditEvent.objects.get(verb="auth.lockout")
    assert (event.target_type, event.target_id) == ("projects.User", "")
    assert event.after["locked"] == ["username"] and "nobody-by-this-name" in event.note


def test_the_lockout_ends_after_the_cooloff(settings):
    OwnerUserFactory(username="dave")
    for _ in range(5):
        fail_login(Client(), "dave", "10.1.0.1")
    assert not logs_in("dave", "10.1.0.2")
    # 16 minutes later (the cool-off counts from the last failure)
    AccessAttempt.objects.update(attempt_time=timezone.now() - datetime.timedelta(minutes=16))
    assert logs_in("dave", "10.1.0.1")


def test_a_success_before_the_limit_is_a_normal_login():
    OwnerUserFactory(username="erin")
    for _ in range(4):
        fail_login(Client(), "erin", "10.2.0.1")
    assert logs_in("erin", "10.2.0.1")


def test_centre_admin_lifts_a_lockout_in_the_admin_and_it_is_audited(client):
    frank = OwnerUserFactory(username="frank")
    for _ in range(5):
        fail_login(Client(), "frank", "10.3.0.1")
    assert not logs_in("frank", "10.3.0.2")
    admin = CentreAdminFactory()
    client.force_login(admin)
    changelist = client.get("/admin/axes/accessattempt/")
    assert changelist.status_code == 200 and "frank" in changelist.content.decode()
    attempt = AccessAttempt.objects.filter(username="frank").first()  # one of the two (two addresses)
    response = client.post("/admin/axes/accessattempt/", {
        "action": "lift_lockout", "_selected_action": [attempt.pk],
    }, follow=True)
    assert response.status_code == 200
    assert not AccessAttempt.objects.exists()
    assert logs_in("frank", "10.3.0.1")
    lift = AuditEvent.objects.get(verb="auth.lockout_lift")
    assert (lift.actor, lift.target_type, lift.target_id) == (admin, "projects.User", str(frank.pk))
    assert lift.before["failures"]["username"] == 6  # 5 + the refused right password
    assert "frank" in lift.note and "10.3.0.1" in lift.note


def test_deleting_an_attempt_in_the_admin_is_an_audited_lift_too(client):
    for _ in range(5):
        fail_login(Client(), "ghost", "10.4.0.1")
    attempt = AccessAttempt.objects.get()
    client.force_login(CentreAdminFactory())
    response = client.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not AccessAttempt.objects.exists()
    assert AuditEvent.objects.filter(verb="auth.lockout_lift", target_id="", note__contains="ghost").count() == 1


def test_only_a_centre_admin_sees_or_lifts_lockouts(client):
    for _ in range(5):
        fail_login(Client(), "henry", "10.5.0.1")
    coordinator = CoordinatorFactory()
    client.force_login(coordinator)
    assert client.get("/admin/axes/accessattempt/").status_code == 302  # to the admin's login
    with pytest.raises(PermissionDeniedError), translation.override("en"):
        login_lockout_lift(actor=coordinator, attempt_ids=list(AccessAttempt.objects.values_list("pk", flat=True)))
    assert AccessAttempt.objects.count() == 1
    assert not AuditEvent.objects.filter(verb="auth.lockout_lift").exists()


def test_client_address_behind_trusted_proxies(settings):
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.254", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.9")
    settings.JR_TRUSTED_PROXY_COUNT = 0
    assert client_ip(request) == "10.0.0.254"  # the header is anyone's to write
    settings.JR_TRUSTED_PROXY_COUNT = 1
    assert client_ip(request) == "203.0.113.9"  # what our proxy saw
    settings.JR_TRUSTED_PROXY_COUNT = 5
    assert client_ip(request) == "1.2.3.4"


# ---------------------------------------------------------------------------------------------- API


def test_api_takes_session_and_token_but_not_basic_authentication(client):
    user = OwnerUserFactory()
    basic = base64.b64encode(f"{user.username}:{PASSWORD}".encode()).decode()
    assert Client().get("/api/intake/applications/", HTTP_AUTHORIZATION=f"Basic {basic}").status_code in (401, 403)
    token = Token.objects.create(user=user)
    assert Client().get("/api/intake/applications/", HTTP_AUTHORIZATION=f"Token {token.key}").status_code == 200
    assert Client().get("/api/intake/applications/", HTTP_AUTHORIZATION="Token not-a-key").status_code in (401, 403)
    client.force_login(user)
    assert client.get("/api/intake/applications/").status_code == 200


def test_centre_admin_issues_and_revokes_api_tokens_in_the_admin(client):
    user = OwnerUserFactory()
    client.force_login(CentreAdminFactory())
    assert client.get("/admin/authtoken/tokenproxy/").status_code == 200
    response = client.post("/admin/authtoken/tokenproxy/add/", {"user": user.pk})
    assert response.status_code == 302, response.content.decode()[:2000]
    token = Token.objects.get(user=user)
    assert Client().get("/api/intake/applications/", HTTP_AUTHORIZATION=f"Token {token.key}").status_code == 200
    client.post(f"/admin/authtoken/tokenproxy/{user.pk}/delete/", {"post": "yes"})
    assert not Token.objects.exists()
    assert Client().get("/api/intake/applications/", HTTP_AUTHORIZATION=f"Token {token.key}").status_code in (401, 403)


def test_api_throttles_a_user_with_429(monkeypatch, settings):
    from rest_framework.throttling import SimpleRateThrottle

    assert settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] == {"anon": "60/min", "user": "600/min"}
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"anon": "2/min", "user": "3/min"})
    user = OwnerUserFactory()
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    assert [client.get("/api/intake/applications/").status_code for _ in range(3)] == [200, 200, 200]
    throttled = client.get("/api/intake/applications/")
    assert throttled.status_code == 429
    assert throttled.json()["message"].startswith("Request was throttled.")
    assert int(throttled["Retry-After"]) > 0
    other = Client()
    other.force_login(OwnerUserFactory())  # counted per user
    assert other.get("/api/intake/applications/").status_code == 200


# ------------------------------------------------------------------------------------- next= redirects

BAD_NEXT = ["//evil.example", "https://evil.example/", "javascript:alert(1)", "http://evil.example/review/",
            "///evil.example", "\\\\evil.example"]


@pytest.mark.parametrize("target", BAD_NEXT)
def test_safe_next_refuses_other_sites(target):
    rf = RequestFactory()
    assert safe_next(rf.post("/x/", {"next": target}), "/fallback/") == "/fallback/"
    assert safe_next(rf.get("/x/", {"next": target}), "/fallback/") == "/fallback/"


def test_safe_next_keeps_a_path_of_this_site():
    rf = RequestFactory()
    assert safe_next(rf.post("/x/", {"next": "/review/?light=red"}), "/f/") == "/review/?light=red"
    assert safe_next(rf.get("/x/", {"next": "http://testserver/clocks/"}), "/f/") == "http://testserver/clocks/"
    # over https, an http URL of the same host is refused
    assert safe_next(rf.get("/x/", {"next": "http://testserver/clocks/"}, secure=True), "/f/") == "/f/"
    assert safe_next(rf.get("/x/"), "/f/") == "/f/"


@pytest.mark.parametrize("target", BAD_NEXT)
def test_login_never_sends_the_user_to_another_site(target):
    user = OwnerUserFactory()
    client = Client()
    form = client.get(LOGIN, {"next": target}).content.decode()
    assert 'name="next" value=""' in form  # not even echoed into the form
    response = client.post(LOGIN, {"username": user.username, "password": PASSWORD, "next": target})
    assert response.status_code == 302 and response.url == "/"


def test_login_and_logout_follow_a_local_next():
    user = OwnerUserFactory()
    client = Client()
    response = client.post(f"{LOGIN}?next=/intake/projects/", {"username": user.username, "password": PASSWORD,
                                                                "next": "/intake/projects/"})
    assert response.url == "/intake/projects/"
    assert client.post("/accounts/logout/", {"next": "https://evil.example/"}).url == "/accounts/login/"
    client.force_login(user)
    assert client.post("/accounts/logout/", {"next": "/verify/x"}).url == "/verify/x"


@pytest.mark.parametrize("target,expected", [(bad, None) for bad in BAD_NEXT[:3]] + [("/review/", "/review/")])
def test_ending_a_pause_goes_back_only_within_the_site(client, target, expected):
    from jointreview.review import services as review
    from tests.jointreview.review.conftest import make_round

    s = make_round(1)
    side = s.agencies[0]
    pause = review.pause_request(actor=side.reviewer, assignment_id=side.assignment.pk, reason="site_inspection",
                                 reason_text="现场踏勘", expected_days=3)
    review.pause_decide(actor=s.coordinator, pause_id=pause.pk, approve=True)
    client.force_login(side.reviewer)
    response = client.post(reverse("review:pause_end", args=[pause.pk]), {"next": target})
    assert response.status_code == 302
    assert response.url == (expected or reverse("review:assignment", args=[side.assignment.pk]))


# ------------------------------------------------------------------------------------ idle sessions


def _session_row(client) -> Session:
    return Session.objects.get(session_key=client.session.session_key)


def test_a_request_after_the_idle_time_is_sent_to_the_login_page(client, monkeypatch, settings):
    assert settings.JR_SESSION_IDLE_MINUTES == 30
    client.force_login(OwnerUserFactory())
    assert client.get("/").status_code == 200
    start = timezone.now()
    later = start + datetime.timedelta(minutes=29)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert client.get("/").status_code == 200  # 29 idle minutes: still signed in (and renewed)
    much_later = later + datetime.timedelta(minutes=31, seconds=1)  # 30 minutes + the renewal interval
    monkeypatch.setattr(timezone, "now", lambda: much_later)
    response = client.get("/intake/projects/")
    assert response.status_code == 302 and response.url == "/accounts/login/?next=/intake/projects/"


def test_requests_push_the_end_back_at_most_once_a_minute(client, monkeypatch):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(OwnerUserFactory())
    first_end = _session_row(client).expire_date
    with CaptureQueriesContext(connection) as queries:
        client.get("/")
    writes = [q["sql"] for q in queries if "django_session" in q["sql"] and not q["sql"].startswith("SELECT")]
    assert writes == []  # a page read within the minute does not write the session
    assert _session_row(client).expire_date == first_end
    later = timezone.now() + datetime.timedelta(minutes=5)
    monkeypatch.setattr(timezone, "now", lambda: later)
    client.get("/")
    renewed = _session_row(client).expire_date
    assert renewed - later == datetime.timedelta(minutes=31)


def test_a_token_request_gets_no_session():
    token = Token.objects.create(user=OwnerUserFactory())
    response = Client().get("/api/intake/applications/", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 200
    assert "sessionid" not in response.cookies and not Session.objects.exists()


def test_keepalive_renews_the_session_at_once(client):
    assert client.post("/accounts/keepalive/").status_code == 302  # anonymous: to the login page
    client.force_login(OwnerUserFactory())
    before = _session_row(client).expire_date
    assert client.post("/accounts/keepalive/").status_code == 204
    assert _session_row(client).expire_date >= before
    assert client.get("/accounts/keepalive/").status_code == 405


def test_pages_carry_the_timeout_and_the_hidden_warning_for_signed_in_users(en):
    page = en.get(LOGIN).content.decode()
    assert "data-session-idle-seconds" not in page and "session-timeout.js" not in page
    en.force_login(OwnerUserFactory())
    page = en.get("/").content.decode()
    assert 'data-session-idle-seconds="1800"' in page and 'data-session-warn-seconds="120"' in page
    assert '<div id="session-timeout" class="session-timeout" role="alert" hidden>' in page
    assert "You will be signed out soon: the session ends after 30 minutes without activity." in page
    assert '<script src="/static/js/session-timeout.js" defer></script>' in page


# ----------------------------------------------------------------------------------- API docs, schema


def test_schema_and_docs_need_a_login(client):
    assert client.get("/api/schema/").status_code in (401, 403)
    docs = client.get("/api/docs/")
    assert docs.status_code == 302 and docs.url == "/accounts/login/?next=/api/docs/"
    client.force_login(OwnerUserFactory())
    assert client.get("/api/schema/").status_code == 200
    page = client.get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert '<script src="/api/docs/?script="></script>' in html and "<style>" not in html
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200 and script["Content-Type"].startswith("application/javascript")
