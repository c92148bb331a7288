"""The accept (受理) costs a constant number of queries, whatever the number of agencies: every row of
every agency (clocks, their start events, assignments, their items, grants, audit events) is written
in one statement per table, in one transaction."""
import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from guardian.shortcuts import get_perms

from jointreview.clocks.calendar import get_calendar
from jointreview.intake import services as intake
from jointreview.models import Application, Assignment, AuditEvent, ClockEvent
from jointreview.policy.core import forget_permission_ids
from projects.models import Document
from tests.jointreview.intake.conftest import make_world, ready_app

pytestmark = pytest.mark.django_db

MAX_QUERIES = 40


def accept(n_agencies: int) -> tuple[list[str], object, object]:
    w = make_world(n_agencies=n_agencies, single_fee=True)
    app = ready_app(w)
    # read once per process, not per accept: the working-day calendar (re-read once a minute) and the
    # content types of the granted objects
    get_calendar()
    ContentType.objects.get_for_models(Application, Assignment, Document)
    # the permission ids are read once per process too: both accepts measured read them (one query)
    forget_permission_ids()
    with CaptureQueriesContext(connection) as ctx:
        intake.application_accept(actor=w.centre, application=app.pk)
    app.refresh_from_db()
    return [q["sql"] for q in ctx.captured_queries], w, app


def test_accept_query_count_is_constant_in_the_number_of_agencies():
    two, _w, _app = accept(2)
    eight, w, app = accept(8)
    assert len(eight) == len(two), (len(two), len(eight))
    assert len(eight) <= MAX_QUERIES, len(eight)
    # one transaction (inside the test's own, it is the one savepoint), none per clock or assignment
    assert sum(q.startswith("SAVEPOINT") for q in eight) == 1
    # and still every row of every agency
    assignments = list(app.assignments.select_related("clock").order_by("agency_id"))
    assert [a.agency_id for a in assignments] == sorted(a.pk for a in w.agencies)
    for a in assignments:
        assert a.clock.state == "running" and a.due_date == a.clock.due_date is not None
        assert list(ClockEvent.objects.filter(clock=a.clock).values_list("seq", "kind")) == [(1, "start")]
        assert {"review_assignment", "view_assignment"} <= set(get_perms(w.reviewers[a.agency_id], a))
    verbs = list(AuditEvent.objects.filter(application=app, at__gte=app.accepted_at).order_by("id")
                 .values_list("verb", flat=True))
    assert verbs == ["clock.start", *["clock.start", "assignment.create"] * 8, "fee_order.create",
                     "application.accept"]
