"""A database outage is a 503 with a retry hint wherever the request meets it (jointreview/outage.py);
the real thing, with PostgreSQL cut off from gunicorn, is tests/tasks/test_fault_database.py."""
from __future__ import annotations

import pytest
from django.db import OperationalError
from django.test import Client, override_settings

pytestmark = pytest.mark.django_db

URLS = "tests.jointreview.ops_urls"


class FailingMiddleware:
    """Fails in its request phase as the session or the user's lookup does with the database away."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        raise OperationalError("server closed the connection unexpectedly")


def client():
    return Client(raise_request_exception=False)


def assert_outage_page(response, *, text="Temporarily unavailable"):
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    body = response.content.decode()
    assert text in body and 'id="service-unavailable"' in body
    assert "Traceback" not in body and "Server Error (500)" not in body


@override_settings(ROOT_URLCONF=URLS)
def test_a_view_that_loses_the_database_answers_the_503_page_and_the_api_its_json_body():
    assert_outage_page(client().get("/test-outage/", HTTP_ACCEPT_LANGUAGE="en"))
    response = client().get("/api/test-outage/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 503 and response["Retry-After"] == "30"
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"code": "service_unavailable", "fields": {}, "message": (
        "The service is temporarily unavailable: the database cannot be reached. Please try again in a moment.")}


@override_settings(ROOT_URLCONF=URLS)
def test_the_page_speaks_the_language_of_the_cookie_or_the_browser_without_the_database():
    assert_outage_page(client().get("/test-outage/", HTTP_ACCEPT_LANGUAGE="zh-hans"), text="服务暂时不可用")
    assert client().get("/api/test-outage/", HTTP_ACCEPT_LANGUAGE="zh-hans").json()["message"].startswith(
        "服务暂时不可用")


def test_a_middleware_that_loses_the_database_before_the_view_answers_503_too(settings):
    position = settings.MIDDLEWARE.index("jointreview.middleware_language.UserLanguageMiddleware")
    settings.MIDDLEWARE = [*settings.MIDDLEWARE[:position], "tests.jointreview.test_outage.FailingMiddleware",
                           *settings.MIDDLEWARE[position:]]
    assert_outage_page(client().get("/", HTTP_ACCEPT_LANGUAGE="en"))
    response = client().get("/api/review/inbox/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 503 and response.json()["code"] == "service_unavailable"


@override_settings(ROOT_URLCONF=URLS)
def test_any_other_server_error_is_our_own_500_page():
    response = client().get("/test-bug/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 500
    body = response.content.decode()
    assert "Something went wrong" in body and "Server Error (500)" not in body and "Traceback" not in body
    assert "Retry-After" not in response
