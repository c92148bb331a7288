"""The site's URLs plus views that fail as a database outage would (tests/jointreview/test_outage.py)."""
from django.db import OperationalError
from django.http import HttpResponse
from django.urls import path

from jointreview.observability import current_request_id
from jointreview.urls import handler500  # noqa: F401
from jointreview.urls import urlpatterns as site_urlpatterns


def database_gone(request):
    raise OperationalError("connection to server at \"127.0.0.1\", port 5432 failed: Connection refused")


def programming_error(request):
    raise ZeroDivisionError("a bug")


def request_id(request):
    return HttpResponse(current_request_id() or "")


urlpatterns = [
    path("test-outage/", database_gone),
    path("api/test-outage/", database_gone),
    path("test-bug/", programming_error),
    path("test-request-id/", request_id),
    *site_urlpatterns,
]
